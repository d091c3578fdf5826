/**
 * Activation functions, element-wise (softmax: row-wise), as kernels.
 *
 * Each one is a forward/backward pair over (n, c) buffers:
 *   forward(y, x):          y = f(x)
 *   backward(dx, dy, x, y): dx = dy · f′(x), written with whichever of the saved
 *                           input x or output y makes f′ cheapest.
 * `y` may be the same array as `x` only when the backward pass does not read x.
 */
import { lookupName } from "../tensor/names.js";

export interface ActivationKernel {
  /** The Keras name, used by summary() and saved models. */
  readonly name: string;
  forward(y: Float32Array, x: Float32Array, n: number, c: number): void;
  backward(dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, n: number, c: number): void;
}

/**
 * linear (identity)
 *   forward:   y  = x
 *   backward:  dx = dy
 */
const linear: ActivationKernel = {
  name: "linear",
  forward(y, x) {
    if (y !== x) y.set(x);
  },
  backward(dx, dy) {
    if (dx !== dy) dx.set(dy);
  },
};

/**
 * sigmoid
 *   forward:   y  = 1 / (1 + exp(−x))
 *   backward:  dx = dy · y · (1 − y)        (uses the saved output y)
 */
const sigmoid: ActivationKernel = {
  name: "sigmoid",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
  },
  backward(dx, dy, _x, y) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
  },
};

/**
 * relu
 *   forward:   y  = max(0, x)
 *   backward:  dx = dy where y > 0, else 0   (uses y; at x = 0 the slope is 0, as in TensorFlow)
 */
const relu: ActivationKernel = {
  name: "relu",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
  },
  backward(dx, dy, _x, y) {
    for (let i = 0; i < dy.length; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
  },
};

/**
 * tanh
 *   forward:   y  = tanh(x)
 *   backward:  dx = dy · (1 − y²)           (uses y)
 */
const tanh: ActivationKernel = {
  name: "tanh",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
  },
  backward(dx, dy, _x, y) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
  },
};

/**
 * softmax, over each row (the classes of one sample)
 *   forward:   y_j = exp(x_j − max_k x_k) / Σ_k exp(x_k − max_k x_k)
 *              (subtracting the row maximum changes nothing mathematically and
 *              keeps exp from overflowing)
 *   backward:  dx_j = y_j · (dy_j − Σ_k dy_k · y_k)      (uses y)
 * With categorical cross-entropy on top, the model skips this backward and the
 * loss's and uses the fused gradient (p − t) / n instead (losses/crossentropy.ts).
 */
const softmax: ActivationKernel = {
  name: "softmax",
  forward(y, x, n, c) {
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let max = -Infinity;
      for (let j = 0; j < c; j++) if (x[row + j] > max) max = x[row + j];
      let sum = 0;
      for (let j = 0; j < c; j++) {
        const e = Math.exp(x[row + j] - max);
        y[row + j] = e;
        sum += e;
      }
      for (let j = 0; j < c; j++) y[row + j] /= sum;
    }
  },
  backward(dx, dy, _x, y, n, c) {
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let dot = 0;
      for (let j = 0; j < c; j++) dot += dy[row + j] * y[row + j];
      for (let j = 0; j < c; j++) dx[row + j] = y[row + j] * (dy[row + j] - dot);
    }
  },
};

/** The activation name table (both Keras and TensorFlow.js spellings are accepted). */
export const ACTIVATIONS: Record<string, ActivationKernel> = { linear, sigmoid, relu, tanh, softmax };

/** Looks up an activation by name; unknown names list the known ones. */
export function getActivation(name: unknown): ActivationKernel {
  return lookupName(ACTIVATIONS, name, "activation");
}
