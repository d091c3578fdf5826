/**
 * Inference through a stack of Dense layers, block by block: predict's and
 * evaluate's way on the wasm backend (wasm-backend.ts: predictStack).
 *
 * In inference each row's outputs depend on that row and the weights alone,
 * and the products give a row the same bits whichever rows share them (each
 * element summed in one order, wasm/module.ts). So x can be cut into blocks of
 * rows — min(batch size, STACK_ROWS) each — and each block run through every
 * layer on one thread, the threads sharing out the blocks (a job whose pieces
 * are blocks, thread-protocol.ts): one hand-off for up to 4,095 blocks, where
 * splitting each product hands off four times a batch. For each block, layer
 * by layer:
 *
 *   a₀ = the block's rows of x          a_{l+1} = f_l(a_l · W_l + b_l)
 *
 * with the kernels a layer's own forward calls (Dense.forward on the wasm
 * backend: the product, sparse when a₀ is mostly zeros; the bias; the sigmoid,
 * relu or softmax), so the outputs have its bits. (With finite weights: a
 * sparse product skips a zero input's terms, where the dense one adds
 * 0 · ±Infinity = NaN, wasm/sparse.ts; the layers and the stack may choose
 * differently for a layer after the first.) The last layer writes straight
 * into the output.
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
import { gemmScratchBytes } from "./wasm/module.js";
import { entryLimit, productColumns } from "./sparse-product.js";
import { softmaxRows } from "./ops.js";
import { allocFloat32 } from "./alloc.js";
import { heapInt32, inHeap } from "./heap.js";

/** The activations a step can end with; any other keeps inference on the layers' own way. */
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
const HEADER = { steps: 0, rows: 1, block: 2, x: 3, out: 4, threads: 5, size: 6 } as const;
const THREAD = { a: 0, b: 1, starts: 2, idx: 3, vals: 4, scratch: 5, size: 6 } as const;
const STEP = { W: 0, din: 1, dout: 2, bias: 3, activation: 4, panels: 5, size: 6 } as const;

/**
 * Most rows a block. Predict on the 10,000 MNIST test images all at once, 2 threads, fresh
 * processes alternating, 4 rounds of 6 (tsx bench/rows-child.ts --job=predict --batch=0):
 * each product split between the threads 63–82 ms; blocks of 1,000 rows 47–73, of 512 39–70,
 * of 256 44–61, of 128 42–56.
 */
export const STACK_ROWS = 128;

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

/** The multi-threaded executor installed, or undefined: blocks then run on the caller. */
export function stackExecutor(): StackExecutor | undefined {
  return executor;
}

/**
 * A program and the heap buffers its words name, for one shape of stack (layers, rows a block,
 * threads); `key` tells which. The buffers are kept here: a block goes back to the heap when its
 * array is collected.
 */
export interface StackProgram {
  key: string;
  words: Int32Array;
  buffers: ArrayBufferView[];
}

/** The shape a program is made for: a program of the same key serves. */
export function programKey(steps: readonly DenseStep[], block: number, threads: number): string {
  return [threads, block, ...steps.map((s) => `${s.din}x${s.dout}`)].join(" ");
}

/** A program with its buffers for these steps, `block` rows a block and `threads` threads; undefined if the heap is full. */
export function makeProgram(steps: readonly DenseStep[], block: number, threads: number): StackProgram | undefined {
  const din = steps[0].din;
  const hidden = Math.max(1, ...steps.slice(0, -1).map((s) => s.dout));
  const entries = entryLimit(block, din) + din;
  const scratch = Math.ceil(gemmScratchBytes(block, Math.max(...steps.map((s) => s.dout)), Math.max(...steps.map((s) => s.din))) / 4);
  const words = heapInt32(HEADER.size + threads * THREAD.size + steps.length * STEP.size);
  if (words === undefined) return undefined;
  const buffers: ArrayBufferView[] = [];
  for (let t = 0; t < threads; t++) {
    const own = [allocFloat32(block * hidden), allocFloat32(block * hidden), heapInt32(block + 1), heapInt32(entries), allocFloat32(entries), allocFloat32(scratch)];
    if (!own.every((a) => a !== undefined && inHeap(a))) return undefined;
    own.forEach((a, i) => (words[HEADER.size + t * THREAD.size + i] = a!.byteOffset));
    buffers.push(...(own as ArrayBufferView[]));
  }
  words[HEADER.steps] = steps.length;
  words[HEADER.block] = block;
  words[HEADER.threads] = threads;
  return { key: programKey(steps, block, threads), words, buffers };
}

/** Writes this call's arrays into the program: x's rows, out, and each step's weights (the first kernel read from `panels`, 0: in place). */
export function setProgram(program: StackProgram, steps: readonly DenseStep[], x: Float32Array, rows: number, out: Float32Array, panels: number): void {
  const words = program.words;
  words[HEADER.rows] = rows;
  words[HEADER.x] = x.byteOffset;
  words[HEADER.out] = out.byteOffset;
  steps.forEach((s, l) => {
    const at = HEADER.size + words[HEADER.threads] * THREAD.size + l * STEP.size;
    words[at + STEP.W] = s.W.byteOffset;
    words[at + STEP.din] = s.din;
    words[at + STEP.dout] = s.dout;
    words[at + STEP.bias] = s.b ? s.b.byteOffset : -1;
    words[at + STEP.activation] = s.activation;
    words[at + STEP.panels] = l === 0 ? panels : 0;
  });
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
    const W = heapInt[s + STEP.W], din = heapInt[s + STEP.din], dout = heapInt[s + STEP.dout], bias = heapInt[s + STEP.bias];
    const z = l === steps - 1 ? heapInt[at + HEADER.out] + 4 * r0 * dout : heapInt[own + (l % 2 === 0 ? THREAD.a : THREAD.b)];
    // z = a·W: by a's non-zero entries when the first layer's input is mostly zeros (MNIST's pixels), else whole
    if (l === 0 && sparseBlock(simd, heapInt, own, a, rows, din)) {
      const starts = heapInt[own + THREAD.starts], idx = heapInt[own + THREAD.idx], vals = heapInt[own + THREAD.vals];
      const panels = heapInt[s + STEP.panels];
      productColumns(simd, { c: z, ldc: dout, starts, idx, vals, rows, b: W, ldb: dout, width: dout, panels, panelRows: din, pack: false }, 0, dout);
    } else {
      simd.gemm(z, dout, a, din, false, W, dout, false, rows, dout, din, 0, rows, 0, dout, -1, -1, heapInt[own + THREAD.scratch]);
    }
    // z += b, then z = f(z) in place
    const activation = heapInt[s + STEP.activation] as StackActivation;
    if (bias >= 0 || activation === StackActivation.Relu) simd.biasActivation(z, dout, rows, dout, bias, activation === StackActivation.Relu ? 1 : 0);
    if (activation === StackActivation.Sigmoid) simd.sigmoid(z, z, 0, rows * dout);
    else if (activation === StackActivation.Softmax) softmaxRows(heap, heap, rows, dout, z / 4);
    a = z;
  }
}

/** Whether the block's rows of x (at byte a) are few enough non-zeros for the sparse product: their entries, into thread `own`'s buffers. */
function sparseBlock(simd: SimdModule, heapInt: Int32Array, own: number, a: number, rows: number, cols: number): boolean {
  const limit = entryLimit(rows, cols);
  return simd.sparseRows(a, rows, cols, heapInt[own + THREAD.starts], heapInt[own + THREAD.idx], heapInt[own + THREAD.vals], limit) <= limit;
}
