/**
 * The backend: every numeric operation that layers, losses and optimizers ask
 * for, chosen once for the whole program.
 *
 *   "reference"  plain loops, each under its formula: the definitions, and what a
 *                learner reads (reference.ts). Slow, and always right.
 *   "js"         the same operations, fast: packed, register-tiled TypeScript
 *                products, all-zero input columns skipped, long loops split
 *                between worker threads (js-backend.ts)
 *   "wasm"       the fast operations as WebAssembly SIMD on the shared heap
 *                (wasm-backend.ts); the default wherever the runtime validates it
 *
 * Layers speak math to `backend()`: z = x·W + b is `backend().affine(z, x, W, b)`,
 * whichever backend runs it. Every fast operation is tested against the
 * reference (test/backends.test.ts): with the same bits where it computes the
 * same expression, within stated ulps where it sums in another order.
 */
import type { Matrix } from "./matrix.js";
import type { Gradient } from "./parameter.js";
import type { WindowGeometry } from "./conv-geometry.js";
import type { DenseStep } from "./dense-stack.js";
import { ReferenceBackend } from "./reference.js";
import { fillUniform, shuffle } from "./random.js";
import { gatherRows } from "./ops.js";
import { JsBackend } from "./js-backend.js";
import { WasmBackend, wasmBackendProblem } from "./wasm-backend.js";

export type BackendName = "reference" | "js" | "wasm";
export const BACKEND_NAMES: readonly BackendName[] = ["reference", "js", "wasm"];

export interface Backend {
  readonly name: BackendName;

  // Products: the three forms backprop needs (n rows in the batch, din inputs, dout units).
  /** out = a·b         y = x·W:   x (n, din), W (din, dout) */
  matmul(out: Matrix, a: Matrix, b: Matrix): void;
  /** out = a·bᵀ        dx = dy·Wᵀ: dy (n, dout), W (din, dout) */
  matmulTransB(out: Matrix, a: Matrix, b: Matrix): void;
  /** out = aᵀ·b        dW = xᵀ·dy: x (n, din), dy (n, dout) */
  matmulTransA(out: Matrix, a: Matrix, b: Matrix): void;

  // Dense.
  /** z = x·W + b, b a 1 x dout row added to every row (no bias when undefined) */
  affine(z: Matrix, x: Matrix, W: Matrix, b: Matrix | undefined): void;
  /** dW = xᵀ·dz, into a Gradient: whole, or (fast backends) as the rows of x's non-zero columns */
  weightGradient(dW: Gradient, x: Matrix, dz: Matrix): void;
  /** out (1, c) = Σ_i x(i, :), summed in float64: the bias gradient db = Σ_rows dz */
  columnSums(out: Matrix, x: Matrix): void;

  // Convolutions and pooling, channels-last: a row of x is one image (h, w, c); g is the
  // window's geometry (conv-geometry.ts); K (kh·kw·c, f) is Keras's kernel [kh, kw, c, f].
  // The formulas, as loops, are in conv-reference.ts.
  /** y(n, i, j, o) = b(o) + Σ_{p,q,c} x(n, i·sh + p − padTop, j·sw + q − padLeft, c) · K(p, q, c, o) */
  conv2d(y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry): void;
  /**
   * dK(p, q, c, o) = Σ_{n,i,j} x(n, i·sh + p − padTop, j·sw + q − padLeft, c) · dy(n, i, j, o),
   * db(o) = Σ_{n,i,j} dy(n, i, j, o) (when db is given); x is the input of the last conv2d with g
   */
  conv2dWeightGradients(dK: Matrix, db: Matrix | undefined, x: Matrix, dy: Matrix, g: WindowGeometry): void;
  /** dx(n, ih, iw, c) = Σ_{p,q,o} dy(n, i, j, o) · K(p, q, c, o) over the outputs (i, j) whose window holds (ih, iw) at (p, q) */
  conv2dInputGradient(dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry): void;
  /** y = the max of each window (per channel), at = where in x.data it was */
  maxPool(y: Matrix, at: Int32Array, x: Matrix, g: WindowGeometry): void;
  /** dx = 0; dx(at(o)) += dy(o) */
  maxPoolBackward(dx: Matrix, dy: Matrix, at: Int32Array): void;
  /** y = the mean of each window's pixels inside the image (per channel) */
  avgPool(y: Matrix, x: Matrix, g: WindowGeometry): void;
  /** dx(pixel) = Σ over the windows holding it of dy(window) / (its pixel count) */
  avgPoolBackward(dx: Matrix, dy: Matrix, g: WindowGeometry): void;

  // Element-wise activations (float32 arrays of one length; y may be x).
  /** y = 1 / (1 + exp(−x)) */
  sigmoid(y: Float32Array, x: Float32Array): void;
  /** dx = dy · y · (1 − y) */
  sigmoidBackward(dx: Float32Array, dy: Float32Array, y: Float32Array): void;
  /** y = max(0, x) */
  relu(y: Float32Array, x: Float32Array): void;
  /** dx = dy where y > 0, else 0 */
  reluBackward(dx: Float32Array, dy: Float32Array, y: Float32Array): void;
  /**
   * Dropout's mask and output: a value is kept when its draw u = draws[i] / 2³² is at least
   * `rate`:  mask[i] = draws[i] ≥ rate · 2³² ? scale : 0,  y[i] = x[i] · mask[i]
   */
  dropout(y: Float32Array, mask: Float32Array, x: Float32Array, draws: Uint32Array, rate: number, scale: number): void;

  // Optimizer updates, in place on w.
  /** w −= lr·g, in float32 arithmetic (TensorFlow.js's and Keras's bits) */
  sgd(w: Matrix, g: Gradient, lr: number): void;
  /** v = m·v − lr·g;  w += v   (nesterov: w += m·v − lr·g) */
  momentum(w: Matrix, g: Matrix, v: Float32Array, lr: number, m: number, nesterov: boolean): void;

  // Data.
  /** Whether no value is NaN or ±Infinity */
  allFinite(a: Float32Array): boolean;

  // Random draws (optional: see uniformDraws and shuffleOrder below).
  /** out[i] = lo + (hi − lo) · u_i, u_i the generator's next draws / 2³², rounded to float32 (random.ts: fillUniform) */
  uniform?(out: Float32Array, lo: number, hi: number): void;
  /** a shuffled in place with the generator's next draws, as random.ts's shuffle (Fisher–Yates) */
  shuffle?(a: Int32Array): void;
  /** out's rows = src's rows index[from], index[from + 1], … (ops.ts: gatherRows, whose loop defines it) */
  gatherRows?(out: Matrix, src: Matrix, index: Int32Array, from: number): void;

  // Inference (optional: see withFixedWeights below).
  /** Runs `run`, during which no weight changes, keeping what it derives from the weights meanwhile. */
  withFixedWeights?<T>(run: () => T): T;
  /**
   * out = a stack of Dense layers' outputs for x, batchSize rows at a time or fewer (dense-stack.ts:
   * with the bits of the layers' own forward); false when this backend leaves it to the layers.
   */
  predictStack?(out: Matrix, x: Matrix, steps: readonly DenseStep[], batchSize: number): boolean;
}

let current: Backend | undefined;

/**
 * Runs `run`, during which no weight changes (predict, evaluate): until it returns, the backend in
 * use may keep forms it derives from the weights it is given (wasm: a Dense kernel in panels), so
 * every array passed as a kernel (affine's W) must keep its values until then.
 */
export function withFixedWeights<T>(run: () => T): T {
  const b = backend();
  return b.withFixedWeights ? b.withFixedWeights(run) : run();
}

/**
 * out filled with draws from [lo, hi) by the seeded generator (random.ts: fillUniform, whose loop
 * defines them): by the backend in use where it has its own loop, with the same bits.
 */
export function uniformDraws(out: Float32Array, lo: number, hi: number): void {
  const b = backend();
  if (b.uniform) b.uniform(out, lo, hi);
  else fillUniform(out, lo, hi);
}

/** a shuffled in place by the seeded generator (random.ts: shuffle), by the backend in use where it has its own loop. */
export function shuffleOrder(a: Int32Array): void {
  const b = backend();
  if (b.shuffle) b.shuffle(a);
  else shuffle(a);
}

/** A batch's rows gathered by a list of row numbers (ops.ts: gatherRows), by the backend in use where it has its own loop. */
export function gatherBatch(out: Matrix, src: Matrix, index: Int32Array, from: number): void {
  const b = backend();
  if (b.gatherRows) b.gatherRows(out, src, index, from);
  else gatherRows(out, src, index, from);
}

/** Makes the backend of that name; throws, saying why, where it cannot run. */
function make(name: BackendName): Backend {
  if (name === "reference") return new ReferenceBackend();
  if (name === "js") return new JsBackend();
  const problem = wasmBackendProblem();
  if (problem !== undefined) throw new Error(`setBackend("wasm"): ${problem}; use "js" or "reference"`);
  return new WasmBackend();
}

/** Chooses the backend for everything from now on: "reference", "js" or "wasm". */
export function setBackend(name: BackendName): void {
  if (!BACKEND_NAMES.includes(name)) {
    throw new Error(`setBackend expects one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")}, got ${JSON.stringify(name)}`);
  }
  if (current?.name !== name) current = make(name);
}

/** The backend's name: PURENN_BACKEND's where set, else "wasm" where it runs, else "js". */
export function getBackend(): BackendName {
  return backend().name;
}

/** The backend in use (chosen on first use when setBackend has not been called). */
export function backend(): Backend {
  if (current === undefined) {
    // Read without importing node:process, so the core stays browser-safe.
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
    const chosen = env.PURENN_BACKEND || env.PURENN_KERNEL;
    const variable = env.PURENN_BACKEND ? "PURENN_BACKEND" : "PURENN_KERNEL";
    if (chosen) {
      if (!(BACKEND_NAMES as readonly string[]).includes(chosen)) {
        throw new Error(`${variable} must be one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")}, got ${JSON.stringify(chosen)}`);
      }
      setBackend(chosen as BackendName);
    } else {
      setBackend(wasmBackendProblem() === undefined ? "wasm" : "js");
    }
  }
  return current!;
}

/** @deprecated since 0.2: the old name of a backend choice; "js" or "wasm" (use setBackend). */
export type KernelName = "js" | "wasm";

/** @deprecated since 0.2: use setBackend. Kept for one version: setKernel("js" | "wasm") = setBackend of that name. */
export function setKernel(name: KernelName): void {
  if (name !== "js" && name !== "wasm") throw new Error(`setKernel expects "js" or "wasm" (or use setBackend), got ${JSON.stringify(name)}`);
  setBackend(name);
}

/** @deprecated since 0.2: use getBackend. The backend's name ("reference" only if setBackend chose it). */
export function getKernel(): BackendName {
  return getBackend();
}
