import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseIdx, readIdx, writeIdx } from "../src/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "purenn-idx-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** A path as a literal in a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An IDX header: 00 00 type dims, then big-endian sizes. */
function header(type: number, sizes: number[]): number[] {
  const out = [0, 0, type, sizes.length];
  for (const s of sizes) out.push((s >>> 24) & 255, (s >>> 16) & 255, (s >>> 8) & 255, s & 255);
  return out;
}

describe("IDX files, worked out by hand", () => {
  it("reads a 2x3 uint8 file byte for byte", () => {
    const bytes = new Uint8Array([...header(0x08, [2, 3]), 1, 2, 3, 250, 251, 255]);
    const { shape, data } = parseIdx(bytes);
    expect(shape).toEqual([2, 3]);
    expect(data).toBeInstanceOf(Uint8Array);
    expect(Array.from(data)).toEqual([1, 2, 3, 250, 251, 255]);
  });

  it("reads big-endian values of every type byte", () => {
    // int8 0xff = −1; int16 0xff 0xfe = −2; int32 0xff…fd = −3; float32 0x3fc00000 = 1.5; float64 0xc004… = −2.5
    const cases: [number, number[], ArrayConstructor | Function, number[]][] = [
      [0x09, [0xff, 0x7f], Int8Array, [-1, 127]],
      [0x0b, [0xff, 0xfe, 0x01, 0x00], Int16Array, [-2, 256]],
      [0x0c, [0xff, 0xff, 0xff, 0xfd, 0x00, 0x01, 0x00, 0x00], Int32Array, [-3, 65536]],
      [0x0d, [0x3f, 0xc0, 0, 0, 0xc1, 0x20, 0, 0], Float32Array, [1.5, -10]],
      [0x0e, [0xc0, 0x04, 0, 0, 0, 0, 0, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], Float64Array, [-2.5, 1]],
    ];
    for (const [type, payload, kind, values] of cases) {
      const { shape, data } = parseIdx(new Uint8Array([...header(type, [2]), ...payload]));
      expect(shape).toEqual([2]);
      expect(data).toBeInstanceOf(kind);
      expect(Array.from(data)).toEqual(values);
    }
  });

  it("writeIdx and readIdx round-trip every type, raw and gzipped", async () => {
    const arrays = [
      new Uint8Array([0, 1, 255, 7, 8, 9]), new Int8Array([-128, 0, 127, 1, 2, 3]), new Int16Array([-32768, 1, 32767, 4, 5, 6]),
      new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1, 1, 2, 3]), new Float32Array([1.5, -0.25, 3e38, 0, 1, 2]), new Float64Array([Math.PI, -1e300, 0, 1, 2, 3]),
    ];
    for (const data of arrays) {
      const bytes = writeIdx([2, 3], data);
      for (const [name, content] of [["raw.idx", bytes], ["zipped.idx.gz", gzipSync(bytes)]] as const) {
        const back = await readIdx(await file(`${data.constructor.name}-${name}`, content));
        expect(back.shape).toEqual([2, 3]);
        expect(back.data.constructor).toBe(data.constructor);
        expect(Array.from(back.data)).toEqual(Array.from(data));
      }
    }
  });
});

describe("malformed IDX files are rejected with the file and the problem named", () => {
  const valid = writeIdx([2, 2], new Uint8Array([1, 2, 3, 4]));
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /the file is empty/],
    ["too short for the magic", new Uint8Array([0, 0]), /2 bytes, too short for the 4-byte IDX magic/],
    ["bad magic", new Uint8Array([1, 2, 8, 1, 0, 0, 0, 1, 5]), /bad magic 01 02 08 01/],
    ["unknown type byte", new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 1, 5]), /unknown type byte 0x0a; known: 0x08 uint8, 0x09 int8/],
    ["zero dimensions", new Uint8Array([0, 0, 8, 0]), /declares 0 dimensions/],
    ["header cut short", new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), /declares 3 dimensions \(16 header bytes\) but the file has only 8 bytes/],
    ["truncated payload", valid.subarray(0, valid.length - 1), /needs 16 bytes but the file has 15 \(the payload is truncated/],
    ["trailing bytes", new Uint8Array([...valid, 0, 0]), /needs 16 bytes but the file has 18 \(2 trailing bytes\)/],
    ["2^31 images in 40 bytes", new Uint8Array([...header(0x08, [2 ** 31, 28, 28]), ...new Array(24).fill(0)]), /shape \[2147483648, 28, 28\] of uint8 needs 1683627180048 bytes but the file has 40/],
    ["sizes of 2^32 − 1", new Uint8Array([...header(0x0e, [0xffffffff, 0xffffffff]), 1, 2]), /needs .* bytes but the file has 14/],
  ];
  for (const [name, bytes, message] of cases) {
    it(`${name} (raw and gzipped)`, async () => {
      const raw = await file(`bad-${name}.idx`, bytes);
      await expect(readIdx(raw)).rejects.toThrow(new RegExp(`${escape(raw)}: .*${message.source}`));
      if (bytes.length >= 4) {
        const zipped = await file(`bad-${name}.idx.gz`, gzipSync(bytes));
        // Unzipping stops early when the header declares too much (or the data runs past it).
        const early = "the IDX header declares \\d+ bytes, more than the \\d+ purenn reads|unzips to more bytes than its IDX header declares";
        await expect(readIdx(zipped)).rejects.toThrow(new RegExp(`${escape(zipped)}: .*(${message.source}|${early})`));
      }
    });
  }

  it("a 40-byte file that claims 2^31 images fails at once, allocating nothing", () => {
    const bytes = new Uint8Array([...header(0x08, [2 ** 31, 28, 28]), ...new Array(24).fill(0)]);
    expect(bytes.length).toBe(40);
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    expect(() => parseIdx(bytes, "huge.idx")).toThrow(/huge\.idx: shape \[2147483648, 28, 28\]/);
    expect(performance.now() - started).toBeLessThan(50);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
  });

  it("truncated gzip", async () => {
    const zipped = gzipSync(writeIdx([100], new Uint8Array(100).fill(7)));
    const path = await file("cut.gz", zipped.subarray(0, zipped.length - 10));
    await expect(readIdx(path)).rejects.toThrow(/cut\.gz: the gzip data is truncated/);
  });

  it("corrupt gzip", async () => {
    const zipped = gzipSync(writeIdx([100], new Uint8Array(100).fill(7)));
    zipped[12] ^= 0xff;
    zipped[13] ^= 0xff;
    const path = await file("corrupt.gz", zipped);
    await expect(readIdx(path)).rejects.toThrow(/corrupt\.gz: (corrupt gzip data|the gzip data is truncated|unzips to more)/);
  });

  it("a gzip bomb stops at its header's declared size, not after unzipping everything", async () => {
    // Header says 10 bytes; 200 MB of zeros follow. Unzipping stops at the first chunk past 10 bytes.
    const plain = new Uint8Array(200 * 2 ** 20);
    plain.set(header(0x08, [10]));
    const bomb = gzipSync(plain);
    const path = await file("bomb.gz", bomb);
    const before = process.memoryUsage().arrayBuffers;
    await expect(readIdx(path)).rejects.toThrow(/bomb\.gz: unzips to more bytes than its IDX header declares \(18\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 2 ** 20);
  });

  it("missing file", async () => {
    await expect(readIdx(join(dir, "nope.idx"))).rejects.toThrow(/nope\.idx: file not found/);
  });

  it("parseIdx on gzipped bytes says to use readIdx", () => {
    expect(() => parseIdx(gzipSync(valid), "x.gz")).toThrow(/x\.gz: the data is gzipped; read it with readIdx/);
  });

  it("writeIdx checks its shape against the data", () => {
    expect(() => writeIdx([2, 2], new Uint8Array(3))).toThrow(/shape \[2, 2\] holds 4 values, data has 3/);
  });
});

describe("found by the fuzzer", () => {
  it("a header whose sizes overflow to Infinity before a 0 size still counts 0 values (and rejects trailing bytes)", () => {
    const bytes = new Uint8Array([...header(0x0d, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0]), 1, 2, 3, 4]);
    expect(() => parseIdx(bytes, "overflow.idx")).toThrow(/overflow\.idx: shape \[.*, 0\] of float32 needs 160 bytes but the file has 164 \(4 trailing bytes\)/);
    expect(parseIdx(bytes.subarray(0, 160), "empty.idx").data.length).toBe(0);
  });
});
