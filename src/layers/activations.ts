/**
 * Activation functions, element-wise (softmax, log_softmax: row-wise).
 *
 * Each one is a forward/backward pair over (n, c) buffers. The ones a training
 * step of the tutorial runs — sigmoid, relu — are backend operations (their
 * formulas in tensor/reference.ts, fast in the other backends); linear, tanh
 * and softmax are plain loops here, and Keras's other activations plain loops
 * in more-activations.ts: each formula written once.
 *
 *   forward(y, x):          y = f(x)
 *   backward(dx, dy, x, y): dx = dy · f′(x), written with whichever of the saved
 *                           input x or output y makes f′ cheapest.
 * `y` may be the same array as `x` only when the backward pass does not read x.
 *
 * Keras 3 names and defaults (keras/src/activations/activations.py). Where a
 * function has a kink, the slope taken there is TensorFlow's (Keras 3's
 * backend), said next to it; TensorFlow.js differs at two of them (noted).
 */
import { lookupName, type Spelled } from "../tensor/names.js";
import { backend } from "../tensor/backend.js";
import { softmaxRows } from "../tensor/ops.js";
import { MORE_ACTIVATIONS } from "./more-activations.js";

export interface ActivationFunction {
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
const linear: ActivationFunction = {
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
const sigmoid: ActivationFunction = {
  name: "sigmoid",
  forward: (y, x) => backend().sigmoid(y, x),
  backward: (dx, dy, _x, y) => backend().sigmoidBackward(dx, dy, y),
};

/**
 * relu
 *   forward:   y  = max(0, x)
 *   backward:  dx = dy where y > 0, else 0   (uses y; at x = 0 the slope is 0, as in TensorFlow)
 */
const relu: ActivationFunction = {
  name: "relu",
  forward: (y, x) => backend().relu(y, x),
  backward: (dx, dy, _x, y) => backend().reluBackward(dx, dy, y),
};

/**
 * tanh
 *   forward:   y  = tanh(x)
 *   backward:  dx = dy · (1 − y²)           (uses y)
 */
const tanh: ActivationFunction = {
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
 *   forward:   y_j = exp(x_j − m) / Σ_k exp(x_k − m)        m = max_k x_k
 *   backward:  dx_j = y_j · (dy_j − Σ_k dy_k · y_k)      (uses y)
 * With categorical cross-entropy on top, the model skips this backward and the
 * loss's and uses the fused gradient (p − t) / n instead (losses/crossentropy.ts).
 */
const softmax: ActivationFunction = {
  name: "softmax",
  forward: softmaxRows, // ops.ts: the formula above, row by row
  backward(dx, dy, _x, y, n, c) {
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let dot = 0;
      for (let j = 0; j < c; j++) dot += dy[row + j] * y[row + j];
      for (let j = 0; j < c; j++) dx[row + j] = y[row + j] * (dy[row + j] - dot);
    }
  },
};

/**
 * The activation name table (both Keras and TensorFlow.js spellings are
 * accepted: "leaky_relu" and "leakyRelu" find the same function).
 */
const activations = {
  linear, sigmoid, relu, tanh, softmax,
  ...MORE_ACTIVATIONS,
} satisfies Record<string, ActivationFunction>;

/** An activation's name in either spelling, "leaky_relu" or "leakyRelu": a typo fails to compile. */
export type ActivationName = Spelled<keyof typeof activations>;
export const ACTIVATIONS: Record<string, ActivationFunction> = activations;

/** Looks up an activation by name; unknown names list the known ones. */
export function getActivation(name: unknown): ActivationFunction {
  return lookupName(ACTIVATIONS, name, "activation");
}
