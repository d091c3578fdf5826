/**
 * The heap: one WebAssembly.Memory that holds the values of every matrix.
 *
 * Why one memory instead of a fresh Float32Array per matrix:
 *   - worker threads receive the memory once, and from then on a matrix is
 *     just an offset into it: a worker can read a layer's kernel or a batch
 *     directly, with nothing posted per product (threads.node.ts);
 *   - the WebAssembly SIMD module works on exactly this memory, so matrices need no
 *     copy in or out of it.
 * The memory is shared (backed by a SharedArrayBuffer) so that views made
 * before it grows stay valid, and so that workers see the same bytes.
 *
 * Allocation: blocks of a size class, with a free list per class.
 *   small blocks (< 1 MiB): sizes rounded up to a power of two, at least 64 bytes
 *   large blocks:           sizes rounded up to a whole 64 KiB
 * A new block is cut from the top of the used part of the memory (which grows
 * when needed). A block goes back on its free list when the Float32Array
 * handed out for it is garbage-collected (a FinalizationRegistry sees that),
 * so a model or a matrix that is no longer referenced gives its memory back.
 * (A `subarray` of that array shares its bytes but does not keep the block:
 * whoever holds values keeps the array itself, as Matrix and workspace do.)
 * Every block starts at a multiple of 64 bytes (a cache line, and four v128).
 *
 * Where shared WebAssembly memory is missing (a browser page without cross-
 * origin isolation) or the heap is full, allocation returns undefined and the
 * caller uses an ordinary Float32Array instead: everything still computes, on
 * one thread, with the js backend.
 */

import { wasm, type WasmMemory } from "./webassembly.js";

const PAGE = 65536; // bytes in a WebAssembly page
const ALIGN = 64;
const LARGE = 1 << 20;
const MAX_PAGES = 32768; // 2 GiB: offsets stay positive 32-bit integers

interface Block {
  offset: number; // in bytes
  size: number; // bytes, after rounding to the size class
}

let memory: WasmMemory | undefined;
let unavailable = false;
let top = ALIGN; // bytes [0, 64) are never handed out, so no block has offset 0
let inUse = 0;
let blocksInUse = 0;
const freeLists = new Map<number, number[]>(); // size class (bytes) → offsets of free blocks
const heapBuffers = new WeakSet<ArrayBufferLike>();
const registry = new FinalizationRegistry<Block>(release);

/** The heap's memory, created on first use; undefined where shared memory is unavailable. */
export function heapMemory(): WasmMemory | undefined {
  if (memory === undefined && !unavailable) {
    try {
      if (wasm === undefined || typeof SharedArrayBuffer === "undefined") throw new Error("no shared WebAssembly memory");
      memory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
      if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error("not shared");
    } catch {
      memory = undefined;
      unavailable = true;
    }
  }
  return memory;
}

/**
 * A zero-filled Float32Array of `length` values in the heap, or undefined when
 * the heap cannot hold it. Its block is reused once the array is collected.
 */
export function heapFloat32(length: number): Float32Array | undefined {
  return heapArray(Float32Array, length);
}

/** A zero-filled Int32Array of `length` values in the heap (index lists for the products), or undefined. */
export function heapInt32(length: number): Int32Array | undefined {
  return heapArray(Int32Array, length);
}

function heapArray<T extends Float32Array | Int32Array>(
  View: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T, length: number,
): T | undefined {
  const block = allocate(length * 4);
  if (block === undefined) return undefined;
  const view = new View(currentBuffer(), block.offset, length);
  registry.register(view, block);
  return view;
}

/** Views of the whole heap, for code that reaches arrays by offset; made again only when the heap has grown. */
export interface WholeHeap {
  f32: Float32Array;
  i32: Int32Array;
}
let whole: WholeHeap | undefined;

/** The calling thread's views of the whole heap (one pair, kept until the heap grows); undefined where there is no heap. */
export function wholeHeap(): WholeHeap | undefined {
  if (heapMemory() === undefined) return undefined;
  const buffer = currentBuffer();
  if (whole === undefined || whole.f32.byteLength !== buffer.byteLength) whole = { f32: new Float32Array(buffer), i32: new Int32Array(buffer) };
  return whole;
}

/** True when `a` is a view into the heap (so workers and the SIMD module can reach it by offset). */
export function inHeap(a: ArrayBufferView): boolean {
  return heapBuffers.has(a.buffer);
}

/** Bytes handed out and not yet collected, and bytes the heap has reserved so far. */
export function heapStats(): { bytesInUse: number; blocksInUse: number; bytesReserved: number } {
  return { bytesInUse: inUse, blocksInUse, bytesReserved: top };
}

function allocate(bytes: number): Block | undefined {
  const mem = heapMemory();
  if (mem === undefined) return undefined;
  const size = sizeClass(Math.max(bytes, 1));
  const free = freeLists.get(size);
  let offset = free?.pop();
  if (offset !== undefined) {
    new Uint8Array(currentBuffer(), offset, size).fill(0); // allocations are zero-filled
  } else {
    if (top + size > currentBuffer().byteLength && !grow(top + size)) return undefined;
    offset = top;
    top += size; // fresh memory from grow() is already zero
  }
  inUse += size;
  blocksInUse++;
  return { offset, size };
}

function release(block: Block): void {
  inUse -= block.size;
  blocksInUse--;
  let list = freeLists.get(block.size);
  if (list === undefined) freeLists.set(block.size, (list = []));
  list.push(block.offset);
}

/** Small sizes: the next power of two (at least 64). Large: the next multiple of 64 KiB. */
function sizeClass(bytes: number): number {
  if (bytes >= LARGE) return Math.ceil(bytes / PAGE) * PAGE;
  let size = ALIGN;
  while (size < bytes) size *= 2;
  return size;
}

/** Grows the memory to hold `bytes`, by at least half its size (so growth is rare). */
function grow(bytes: number): boolean {
  const mem = memory!;
  const pages = mem.buffer.byteLength / PAGE;
  const needed = Math.ceil(bytes / PAGE);
  const want = Math.min(MAX_PAGES, Math.max(needed, Math.ceil(pages * 1.5)));
  if (needed > MAX_PAGES) return false;
  try {
    mem.grow(want - pages);
  } catch {
    return false;
  }
  return true;
}

/** The memory's buffer now (a new SharedArrayBuffer object after each grow; old views stay valid). */
function currentBuffer(): ArrayBufferLike {
  const buffer = memory!.buffer;
  heapBuffers.add(buffer);
  return buffer;
}
