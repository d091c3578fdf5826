/**
 * Where matrix storage comes from.
 *
 * Every Float32Array that holds matrix values is created here and nowhere
 * else, for two reasons:
 *   1. storage lives in one WebAssembly memory, the heap (heap.ts), where
 *      worker threads and the WebAssembly module reach it by offset; no layer
 *      needs to know;
 *   2. tests can count allocations, to prove that training allocates nothing
 *      per batch once the first batch has sized every buffer.
 */
import { heapFloat32, heapInt32 } from "./heap.js";


let allocations = 0;
let allocatedFloats = 0;

/** A zero-filled Float32Array of `length` values: the only source of storage. */
export function allocFloat32(length: number): Float32Array {
  allocations++;
  allocatedFloats += length;
  return heapFloat32(length) ?? new Float32Array(length);
}

/** How many storage blocks (and float32 values) have been allocated so far. */
export function allocationCount(): { blocks: number; floats: number } {
  return { blocks: allocations, floats: allocatedFloats };
}

/** A zero-filled Int32Array of `length` values, in the heap where there is one (max pooling's saved positions). */
export function allocInt32(length: number): Int32Array {
  return heapInt32(length) ?? new Int32Array(length);
}

/** A zero-filled Uint32Array of `length` values, in the heap where there is one (dropout's random draws). */
export function allocUint32(length: number): Uint32Array {
  const ints = allocInt32(length);
  return new Uint32Array(ints.buffer, ints.byteOffset, length);
}
