/**
 * The IDX file format (the one MNIST ships in), read and written.
 *
 *   bytes 0–1   0x00 0x00                       magic
 *   byte  2     type:  0x08 uint8   0x09 int8   0x0B int16
 *                      0x0C int32   0x0D float32  0x0E float64
 *   byte  3     d, the number of dimensions
 *   then        d sizes, each a big-endian uint32
 *   then        Π sizes values of the type, big-endian, row-major
 *
 * MNIST's train-images file is [60000, 28, 28] uint8; its labels [60000] uint8.
 * Files are often gzipped (magic 0x1f 0x8b); `readIdx` unzips them first.
 *
 * Every check happens on the header, before the payload is allocated: a
 * 40-byte file that claims 2³¹ images fails at once.
 */
import { readFile } from "node:fs/promises";
import { createGunzip } from "node:zlib";

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The values, row-major, in the typed array that matches the file's type byte. */
  data: IdxData;
}

interface IdxType {
  name: string;
  bytes: number;
  make(n: number): IdxData;
  read(view: DataView, at: number): number;
  write(view: DataView, at: number, v: number): void;
}

/** The six IDX types by type byte. */
const TYPES: Record<number, IdxType> = {
  0x08: { name: "uint8", bytes: 1, make: (n) => new Uint8Array(n), read: (v, a) => v.getUint8(a), write: (v, a, x) => v.setUint8(a, x) },
  0x09: { name: "int8", bytes: 1, make: (n) => new Int8Array(n), read: (v, a) => v.getInt8(a), write: (v, a, x) => v.setInt8(a, x) },
  0x0b: { name: "int16", bytes: 2, make: (n) => new Int16Array(n), read: (v, a) => v.getInt16(a), write: (v, a, x) => v.setInt16(a, x) },
  0x0c: { name: "int32", bytes: 4, make: (n) => new Int32Array(n), read: (v, a) => v.getInt32(a), write: (v, a, x) => v.setInt32(a, x) },
  0x0d: { name: "float32", bytes: 4, make: (n) => new Float32Array(n), read: (v, a) => v.getFloat32(a), write: (v, a, x) => v.setFloat32(a, x) },
  0x0e: { name: "float64", bytes: 8, make: (n) => new Float64Array(n), read: (v, a) => v.getFloat64(a), write: (v, a, x) => v.setFloat64(a, x) },
};

const KNOWN_TYPES = Object.entries(TYPES).map(([b, t]) => `0x${Number(b).toString(16).padStart(2, "0")} ${t.name}`).join(", ");

/** Largest payload a gzipped IDX file may unzip to (MNIST's largest is 47 MB). */
export const MAX_IDX_BYTES = 1 << 30;

/** Parses raw (not gzipped) IDX bytes. `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name = "IDX data"): IdxArray {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (bytes.length === 0) fail("the file is empty; expected an IDX header (00 00 type dims)");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) fail("the data is gzipped; read it with readIdx(), which unzips it first");
  if (bytes.length < 4) fail(`the file is ${bytes.length} bytes, too short for the 4-byte IDX magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`bad magic ${hex(bytes.subarray(0, 4))}; an IDX file starts with 00 00, then a type byte and a dimension count`);
  const type = TYPES[bytes[2]];
  if (!type) fail(`unknown type byte 0x${bytes[2].toString(16).padStart(2, "0")}; known: ${KNOWN_TYPES}`);
  const dims = bytes[3];
  if (dims === 0) fail("the header declares 0 dimensions; expected at least 1");
  const headerBytes = 4 + 4 * dims;
  if (bytes.length < headerBytes) fail(`the header declares ${dims} dimensions (${headerBytes} header bytes) but the file has only ${bytes.length} bytes`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < dims; d++) shape.push(view.getUint32(4 + 4 * d));
  const count = elementCount(shape);
  const expected = headerBytes + count * type.bytes;
  if (expected > bytes.length) {
    fail(`shape [${shape.join(", ")}] of ${type.name} needs ${expected} bytes but the file has ${bytes.length}` +
      ` (the payload is truncated or the header is corrupt)`);
  }
  if (expected < bytes.length) {
    fail(`shape [${shape.join(", ")}] of ${type.name} needs ${expected} bytes but the file has ${bytes.length}` +
      ` (${bytes.length - expected} trailing bytes)`);
  }
  const data = type.make(count);
  if (type.bytes === 1) {
    data.set(type === TYPES[0x08] ? bytes.subarray(headerBytes) : new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count));
  } else {
    for (let i = 0, at = headerBytes; i < count; i++, at += type.bytes) data[i] = type.read(view, at);
  }
  return { shape, data };
}

/** Reads an IDX file, gzipped or raw. Errors name the file and what is wrong. */
export async function readIdx(file: string): Promise<IdxArray> {
  return parseIdx(await readIdxBytes(file), file);
}

/** Decodes IDX bytes that may be gzipped; `name` is used in error messages. */
export async function decodeIdx(bytes: Uint8Array, name: string): Promise<IdxArray> {
  return parseIdx(bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipIdx(bytes, name) : bytes, name);
}

/** The raw IDX bytes of a file, unzipped when it is gzipped. */
export async function readIdxBytes(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file}: file not found`);
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipIdx(bytes, file) : bytes;
}

/**
 * Unzips gzip bytes as a stream, reading the IDX header from the first bytes
 * out: once the header says how long the file is, output past that length
 * stops the unzip at once (so a gzip bomb costs no more than its header
 * declares), and a header that declares more than MAX_IDX_BYTES is refused.
 */
export function gunzipIdx(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const unzip = createGunzip();
    const chunks: Buffer[] = [];
    let received = 0;
    let limit = MAX_IDX_BYTES;
    let done = false;
    const fail = (message: string) => {
      if (done) return;
      done = true;
      unzip.destroy();
      reject(new Error(`${name}: ${message}`));
    };
    unzip.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (limit === MAX_IDX_BYTES && received >= 4) {
        const head = Buffer.concat(chunks);
        if (head[0] !== 0 || head[1] !== 0 || !TYPES[head[2]] || head[3] === 0) {
          // Not an IDX header: stop unzipping and let parseIdx say what is wrong.
          try {
            parseIdx(head.subarray(0, 4), name);
          } catch (e) {
            done = true;
            unzip.destroy();
            return reject(e);
          }
        }
        const declared = declaredLength(head);
        if (declared !== undefined) {
          if (declared > MAX_IDX_BYTES) return fail(`the IDX header declares ${declared} bytes, more than the ${MAX_IDX_BYTES} purenn reads`);
          limit = declared;
        }
      }
      if (received > limit) fail(`unzips to more bytes than its IDX header declares (${limit}); the file is corrupt`);
    });
    unzip.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "Z_BUF_ERROR") fail("the gzip data is truncated (unexpected end of file)");
      else fail(`corrupt gzip data (${e.message})`);
    });
    unzip.on("end", () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, received));
    });
    unzip.end(bytes);
  });
}

/** Total file length an IDX header declares, once the bytes hold the whole header; undefined before. */
function declaredLength(head: Uint8Array): number | undefined {
  const type = TYPES[head[2]];
  const dims = head[3];
  if (!type || head.length < 4 + 4 * dims) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const shape = Array.from({ length: dims }, (_, d) => view.getUint32(4 + 4 * d));
  return 4 + 4 * dims + elementCount(shape) * type.bytes;
}

/**
 * Π sizes. Any 0 makes it 0 (a plain running product could reach Infinity
 * first, and Infinity · 0 is NaN); otherwise exact up to 2^53 and Infinity
 * beyond, which no file can hold.
 */
function elementCount(shape: number[]): number {
  if (shape.includes(0)) return 0;
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes an array as IDX bytes; the typed array's kind picks the type byte. */
export function writeIdx(shape: number[], data: IdxData): Uint8Array {
  const entry = Object.entries(TYPES).find(([, t]) => t.make(0).constructor === data.constructor);
  if (!entry) throw new Error(`writeIdx: unsupported data ${Object.prototype.toString.call(data)}; expected one of ${KNOWN_TYPES}`);
  const [byte, type] = entry;
  if (shape.length === 0 || shape.length > 255 || shape.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) {
    throw new Error(`writeIdx: shape must be 1 to 255 sizes, each an integer in [0, 2^32), got [${shape.join(", ")}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeIdx: shape [${shape.join(", ")}] holds ${count} values, data has ${data.length}`);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * type.bytes);
  const view = new DataView(out.buffer);
  out[2] = Number(byte);
  out[3] = shape.length;
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s));
  for (let i = 0, at = header; i < count; i++, at += type.bytes) type.write(view, at, data[i]);
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
