/**
 * Inference through a stack of Dense layers, block by block: predict's way on
 * the wasm backend (wasm-backend.ts: predictStack).
 *
 * In inference each row's outputs depend on that row and the weights alone,
 * and the products give a row the same bits whichever rows share them (each
 * element summed in one order, wasm/module.ts). So predict can cut x into
 * blocks of rows — its batches, or STACK_ROWS of a larger batch — and run each
 * block through every layer on one thread, the threads sharing out the blocks
 * (a job whose pieces are blocks, thread-protocol.ts): one hand-off for a
 * whole predict, where splitting each product hands off four times a batch.
 * For each block, layer by layer:
 *
 *   a₀ = the block's rows of x          a_{l+1} = f_l(a_l · W_l + b_l)
 *
 * with the kernels a layer's own forward calls (Dense.forward on the wasm
 * backend: the product, sparse when a₀ is mostly zeros; the bias; the sigmoid,
 * relu or softmax), so the outputs have its bits. The last layer writes
 * straight into predict's output.
 *
 * Everything a thread needs is in the heap, as int32 words (the program), so
 * that a worker reads it by offset:
 *
 *   header               steps L, rows N, rows a block B, x and out (byte offsets), threads T
 *   T thread blocks      two activation buffers (B x the widest hidden layer), the
 *                        first layer's entries (starts, idx, vals), product scratch
 *   L step blocks        W, din, dout, bias (−1: none), activation, W's panels (0: none)
 */
import type { SimdModule } from "./wasm/module.js";
import { productColumns } from "./sparse-product.js";
import { softmaxRows } from "./ops.js";

/** The activations a step can end with; any other keeps predict on the layers' own way. */
export const enum StackActivation {
  Linear = 0,
  Sigmoid = 1,
  Relu = 2,
  Softmax = 3,
}

/** One Dense layer as inference runs it: a = f(x·W + b). */
export interface DenseStep {
  /** din x dout */
  W: Float32Array;
  din: number;
  dout: number;
  /** 1 x dout, or undefined: no bias */
  b: Float32Array | undefined;
  activation: StackActivation;
}

/** The program's words: the header, one block a thread, one a step. */
export const HEADER = { steps: 0, rows: 1, block: 2, x: 3, out: 4, threads: 5, size: 6 } as const;
export const THREAD = { a: 0, b: 1, starts: 2, idx: 3, vals: 4, scratch: 5, size: 6 } as const;
export const STEP = { W: 0, din: 1, dout: 2, bias: 3, activation: 4, panels: 5, size: 6 } as const;

/**
 * Rows a block of a larger batch. Predict on the 10,000 MNIST test images all at once, 2 threads,
 * fresh processes alternating, 4 rounds of 6 (tsx bench/rows-child.ts --job=predict --batch=0):
 * each product split between the threads 63–82 ms; blocks of 1,000 rows 47–73, of 512 39–70,
 * of 256 44–61, of 128 42–56.
 */
export const STACK_ROWS = 128;

/** Below this fraction of non-zero values the first layer multiplies by a₀'s entries (wasm-backend.ts: SPARSE_DENSITY). */
export const STACK_SPARSE_DENSITY = 0.5;

/** The scan's limit for `rows` x `cols` values, as wasm-backend.ts's sparseEntries sets it (entries need room for it + cols). */
export function entryLimit(rows: number, cols: number): number {
  return Math.ceil(STACK_SPARSE_DENSITY * rows * cols) - 1;
}

/** The program's length in words for `steps` layers and `threads` threads. */
export function programWords(steps: number, threads: number): number {
  return HEADER.size + threads * THREAD.size + steps * STEP.size;
}

/** Runs blocks of a stack on several threads (threads.node.ts); false to run them on the caller. */
export interface StackExecutor {
  /** How many threads a program must have blocks for. */
  readonly size: number;
  /** Blocks [first, first + count) of the program at `program` (int32 units in the heap); `flops` their work. */
  runStack(program: number, first: number, count: number, flops: number): boolean;
}

let executor: StackExecutor | undefined;

/** Installs (or removes) the multi-threaded executor. */
export function setStackExecutor(e: StackExecutor | undefined): void {
  executor = e;
}

export function stackExecutor(): StackExecutor | undefined {
  return executor;
}

/**
 * Block `block` of the program at word `at` of the heap, on thread t's buffers: every layer, in order.
 * heap and heapInt view the whole heap; simd is this thread's module.
 */
export function stackBlock(simd: SimdModule, heap: Float32Array, heapInt: Int32Array, at: number, t: number, block: number): void {
  const steps = heapInt[at + HEADER.steps], size = heapInt[at + HEADER.block];
  const own = at + HEADER.size + t * THREAD.size, stepsAt = at + HEADER.size + heapInt[at + HEADER.threads] * THREAD.size;
  const r0 = block * size, rows = Math.min(size, heapInt[at + HEADER.rows] - r0);
  let a = heapInt[at + HEADER.x] + 4 * r0 * heapInt[stepsAt + STEP.din]; // the block's rows of x
  for (let l = 0; l < steps; l++) {
    const s = stepsAt + l * STEP.size;
    const W = heapInt[s + STEP.W], din = heapInt[s + STEP.din], dout = heapInt[s + STEP.dout];
    const z = l === steps - 1 ? heapInt[at + HEADER.out] + 4 * r0 * dout : heapInt[own + (l % 2 === 0 ? THREAD.a : THREAD.b)];
    // z = a·W: by a's non-zero entries when the first layer's input is mostly zeros (MNIST's pixels), else whole
    const starts = heapInt[own + THREAD.starts], idx = heapInt[own + THREAD.idx], vals = heapInt[own + THREAD.vals];
    const limit = entryLimit(rows, din);
    if (l === 0 && simd.sparseRows(a, rows, din, starts, idx, vals, limit) <= limit) {
      const panels = heapInt[s + STEP.panels];
      productColumns(simd, { c: z, ldc: dout, starts, idx, vals, rows, b: W, ldb: dout, width: dout, panels, panelRows: din, pack: false }, 0, dout);
    } else {
      simd.gemm(z, dout, a, din, false, W, dout, false, rows, dout, din, 0, rows, 0, dout, -1, -1, heapInt[own + THREAD.scratch]);
    }
    // z += b, then z = f(z) in place
    const activation = heapInt[s + STEP.activation] as StackActivation;
    simd.biasActivation(z, dout, rows, dout, heapInt[s + STEP.bias], activation === StackActivation.Relu ? 1 : 0);
    if (activation === StackActivation.Sigmoid) simd.sigmoid(z, z, 0, rows * dout);
    else if (activation === StackActivation.Softmax) {
      const y = heap.subarray(z / 4, z / 4 + rows * dout);
      softmaxRows(y, y, rows, dout);
    }
    a = z;
  }
}
