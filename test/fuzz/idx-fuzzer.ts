// A seeded fuzzer for the IDX reader: mutates valid raw and gzipped IDX files
// (bit flips, truncation in every region, header sizes of 0, 1 and 2^32 − 1,
// inserted and deleted bytes, random garbage) and checks that each case either
// parses to a result consistent with its header or throws an Error that names
// the file. Used by test/idx-fuzz.test.ts (a few thousand cases) and by
// `npm run fuzz` (test/fuzz/run.ts, 1e5 cases by default).
import { gzipSync } from "node:zlib";
import { decodeIdx, writeIdx, type IdxData } from "../../src/data/idx.js";

const KINDS: [number, (n: number) => IdxData][] = [
  [1, (n) => new Uint8Array(n)], [1, (n) => new Int8Array(n)], [2, (n) => new Int16Array(n)],
  [4, (n) => new Int32Array(n)], [4, (n) => new Float32Array(n)], [8, (n) => new Float64Array(n)],
];

export interface FuzzReport {
  cases: number;
  parsed: number;
  rejected: number;
  failures: string[];
  largestResultRatio: number;
  seconds: number;
}

/** A small xorshift generator: the same cases for the same seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** A valid IDX file of random type and shape (1 to 3 dimensions, small sizes). */
function validFile(rand: () => number): Uint8Array {
  const [, make] = KINDS[Math.floor(rand() * KINDS.length)];
  const dims = 1 + Math.floor(rand() * 3);
  const shape = Array.from({ length: dims }, () => 1 + Math.floor(rand() * 6));
  const data = make(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor((rand() - 0.5) * 200);
  return writeIdx(shape, data);
}

/** One mutation of `bytes`, chosen by the generator. */
function mutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = () => Math.floor(rand() * Math.max(out.length, 1));
  switch (Math.floor(rand() * 7)) {
    case 0: { // flip 1–8 random bits
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n && out.length > 0; i++) out[at()] ^= 1 << Math.floor(rand() * 8);
      return out;
    }
    case 1: // truncate anywhere: inside the magic, the sizes or the payload
      return out.subarray(0, at());
    case 2: { // a header size set to 0, 1 or 2^32 − 1
      const dim = Math.floor(rand() * Math.max(out[3], 1));
      const value = [0, 1, 0xffffffff][Math.floor(rand() * 3)];
      if (4 + 4 * dim + 4 <= out.length) new DataView(out.buffer).setUint32(4 + 4 * dim, value);
      return out;
    }
    case 3: { // insert random bytes
      const extra = Uint8Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256));
      const i = at();
      return Uint8Array.from([...out.subarray(0, i), ...extra, ...out.subarray(i)]);
    }
    case 4: { // delete a run of bytes
      const i = at();
      return Uint8Array.from([...out.subarray(0, i), ...out.subarray(i + 1 + Math.floor(rand() * 8))]);
    }
    case 5: // change the type byte or the dimension count
      out[2 + Math.floor(rand() * 2)] = Math.floor(rand() * 256);
      return out;
    default: // garbage, sometimes behind a valid magic
      return Uint8Array.from({ length: Math.floor(rand() * 64) }, (_, i) => (i < 2 && rand() < 0.5 ? 0 : i === 2 && rand() < 0.5 ? 8 : Math.floor(rand() * 256)));
  }
}

/** Runs `cases` cases from `seed`; half are gzipped (mutated before or after zipping). */
export async function fuzzIdx(cases: number, seed: number): Promise<FuzzReport> {
  const rand = rng(seed);
  const report: FuzzReport = { cases, parsed: 0, rejected: 0, failures: [], largestResultRatio: 0, seconds: 0 };
  const started = performance.now();
  for (let c = 0; c < cases; c++) {
    const name = `fuzz-case-${seed}-${c}.idx`;
    let bytes = mutate(validFile(rand), rand);
    const zip = rand();
    if (zip < 0.25) bytes = gzipSync(bytes, { level: 1 });
    else if (zip < 0.5) bytes = mutate(gzipSync(validFile(rand), { level: 1 }), rand);
    try {
      const { shape, data } = await decodeIdx(bytes, name);
      const count = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, 1);
      if (data.length !== count) report.failures.push(`${name}: shape [${shape}] but ${data.length} values`);
      report.largestResultRatio = Math.max(report.largestResultRatio, data.byteLength / Math.max(bytes.length, 1));
      report.parsed++;
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith(`${name}: `) || e.message.length < name.length + 10) {
        report.failures.push(`${name}: not a descriptive Error naming the file: ${String(e)}`);
      }
      report.rejected++;
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
