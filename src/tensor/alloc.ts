/**
 * Where matrix storage comes from.
 *
 * Every Float32Array that holds matrix values is created here and nowhere
 * else, for two reasons:
 *   1. a later kernel (WebAssembly SIMD) can place storage in its own memory
 *      by changing this one function, without touching any layer;
 *   2. tests can count allocations, to prove that training allocates nothing
 *      per batch once the first batch has sized every buffer.
 */

let allocations = 0;
let allocatedFloats = 0;

/** A zero-filled Float32Array of `length` values: the only source of storage. */
export function allocFloat32(length: number): Float32Array {
  allocations++;
  allocatedFloats += length;
  return new Float32Array(length);
}

/** How many storage blocks (and float32 values) have been allocated so far. */
export function allocationCount(): { blocks: number; floats: number } {
  return { blocks: allocations, floats: allocatedFloats };
}
