/**
 * The part of the WebAssembly JavaScript API purenn uses, typed here because
 * TypeScript declares it only in its DOM library, which this code base (for
 * Node and browsers alike) does not load. Node 20 and current browsers all
 * have it; `wasm` is undefined where a runtime does not.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Adds `pages` pages of 64 KiB; returns the previous size in pages. */
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

export const wasm: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
