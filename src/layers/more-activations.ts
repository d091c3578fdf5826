/**
 * Keras's other activations (beyond the tutorial's linear, sigmoid, relu, tanh
 * and softmax in activations.ts), each a forward/backward pair of plain loops
 * under its formula: log_softmax, elu, selu, gelu, silu (swish), softplus,
 * softsign, leaky_relu, relu6, hard_sigmoid, exponential.
 */
import { rowMax } from "../tensor/ops.js";
import { sigmoidOf } from "../tensor/reference.js";
import type { ActivationFunction } from "./activations.js";

/**
 * log_softmax, over each row
 *   forward:   y_j  = x_j − m − log Σ_k exp(x_k − m)        m = max_k x_k
 *   backward:  dx_j = dy_j − exp(y_j) · Σ_k dy_k            (uses y: exp(y_j) is softmax_j)
 */
const logSoftmax: ActivationFunction = {
  name: "log_softmax",
  forward(y, x, n, c) {
    for (let i = 0; i < n; i++) {
      const row = i * c;
      const max = rowMax(x, row, c);
      let sum = 0;
      for (let j = 0; j < c; j++) sum += Math.exp(x[row + j] - max);
      const shift = max + Math.log(sum);
      for (let j = 0; j < c; j++) y[row + j] = x[row + j] - shift;
    }
  },
  backward(dx, dy, _x, y, n, c) {
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let total = 0;
      for (let j = 0; j < c; j++) total += dy[row + j];
      for (let j = 0; j < c; j++) dx[row + j] = dy[row + j] - Math.exp(y[row + j]) * total;
    }
  },
};

// One-formula-per-element activations. Each formula is a scalar function (f and
// its slope f′) that activations share; each one still writes its own two loops,
// because a loop that only ever calls one function gets it inlined, while one
// loop shared by many activations through a function parameter runs ~10× slower.

/**
 * The complementary error function, erfc(x) = 1 − erf(x) = (2/√π) ∫ₓ^∞ e^(−s²) ds,
 * by Numerical Recipes' Chebyshev fit (Press et al., Numerical Recipes in C,
 * 2nd ed., §6.2, `erfcc`): with t = 1 / (1 + |x|/2),
 *   erfc(|x|) ≈ t · exp(−x² − 1.26551223 + t·(1.00002368 + t·(0.37409196 + … + t·0.17087277)))
 *   erfc(−x)  = 2 − erfc(x)
 * Its relative error is below 1.2e-7 for every x (tested against a float64
 * series in test/activations.test.ts), about one float32 rounding. TensorFlow.js
 * uses Abramowitz–Stegun 7.1.26 for erf instead (absolute error 1.5e-7).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** Φ(x) = P(X ≤ x) for X ~ N(0, 1) = ½ · erfc(−x/√2), the standard normal CDF. */
function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** φ(x) = Φ′(x) = exp(−x²/2) / √(2π), the standard normal density. */
function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * Exponential linear units, scaled by λ (ELU: λ = 1; SELU: the constants below)
 *   forward:   y  = λ·x                 for x > 0
 *                   λ·α·(eˣ − 1)        for x ≤ 0
 *   backward:  dx = dy · λ              where y ≥ 0
 *                   dy · (y + λ·α)      where y < 0    (uses y: λ·α·eˣ = y + λ·α)
 * At x = 0 the slope is λ, as TensorFlow's EluGrad/SeluGrad (TF.js's selu takes λ·α there).
 */
function exponentialLinear(name: string, scale: number, alpha: number): ActivationFunction {
  const scaleAlpha = scale * alpha;
  return {
    name,
    forward(y, x) {
      for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? scale * x[i] : scaleAlpha * Math.expm1(x[i]);
    },
    backward(dx, dy, _x, y) {
      for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (y[i] < 0 ? y[i] + scaleAlpha : scale);
    },
  };
}

/** elu, Keras's default alpha = 1 (λ = 1, α = 1). */
const elu = exponentialLinear("elu", 1, 1);

/**
 * selu: λ = 1.0507009873554805, α = 1.6732632423543772 (Klambauer et al. 2017,
 * the values that keep zero mean and unit variance from layer to layer).
 */
const selu = exponentialLinear("selu", 1.0507009873554804934193349852946, 1.6732632423543772848170429916717);

/**
 * gelu, exact (Keras 3's default approximate=False; TF.js's "gelu" is the same
 * erf form and its "gelu_new" the tanh approximation)
 *   forward:   y  = x · Φ(x)
 *   backward:  dx = dy · (Φ(x) + x · φ(x))              (uses x)
 */
const gelu: ActivationFunction = {
  name: "gelu",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] * normalCdf(x[i]);
  },
  backward(dx, dy, x) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (normalCdf(x[i]) + x[i] * normalPdf(x[i]));
  },
};

/**
 * silu, also called swish (Keras 3 registers both names for one function)
 *   forward:   y  = x · σ(x)
 *   backward:  dx = dy · (σ(x) + y · (1 − σ(x)))        (uses x and y)
 * Two table entries with their own `name`, so a saved model keeps the name it
 * was given (TF.js knows only "swish").
 */
const silu: ActivationFunction = {
  name: "silu",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] * sigmoidOf(x[i]);
  },
  backward(dx, dy, x, y) {
    for (let i = 0; i < dy.length; i++) {
      const s = sigmoidOf(x[i]);
      dx[i] = dy[i] * (s + y[i] * (1 - s));
    }
  },
};
const swish: ActivationFunction = { ...silu, name: "swish" };

/**
 * softplus
 *   forward:   y  = log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|))   (the second form never overflows)
 *   backward:  dx = dy · σ(x)                                  (uses x)
 */
const softplus: ActivationFunction = {
  name: "softplus",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0) + Math.log1p(Math.exp(-Math.abs(x[i])));
  },
  backward(dx, dy, x) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * sigmoidOf(x[i]);
  },
};

/**
 * softsign
 *   forward:   y  = x / (1 + |x|)
 *   backward:  dx = dy / (1 + |x|)² = dy · (1 − |y|)²      (uses y)
 */
const softsign: ActivationFunction = {
  name: "softsign",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] / (1 + Math.abs(x[i]));
  },
  backward(dx, dy, _x, y) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * (1 - Math.abs(y[i])) * (1 - Math.abs(y[i]));
  },
};

/**
 * leaky_relu, negative slope a = 0.2 (Keras 3's `activations.leaky_relu`
 * default; the LeakyReLU *layer* defaults to 0.3 in Keras 3, and TF.js's
 * tf.layers.leakyReLU to alpha 0.3)
 *   forward:   y  = x for x > 0, a·x otherwise
 *   backward:  dx = dy for x > 0, a·dy otherwise            (uses x; slope a at 0, as TensorFlow)
 */
const NEGATIVE_SLOPE = 0.2;
const leakyRelu: ActivationFunction = {
  name: "leaky_relu",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : NEGATIVE_SLOPE * x[i];
  },
  backward(dx, dy, x) {
    for (let i = 0; i < dy.length; i++) dx[i] = x[i] > 0 ? dy[i] : NEGATIVE_SLOPE * dy[i];
  },
};

/** relu6(u) = min(max(u, 0), 6), and its slope: 1 for 0 < u < 6, else 0 (TensorFlow's Relu6Grad). */
const relu6Of = (u: number): number => Math.min(Math.max(u, 0), 6);
const relu6Slope = (u: number): number => (u > 0 && u < 6 ? 1 : 0);

/**
 * relu6
 *   forward:   y  = min(max(x, 0), 6)
 *   backward:  dx = dy where 0 < x < 6, else 0            (uses x; TF.js gives slope 1 at x = 6)
 */
const relu6: ActivationFunction = {
  name: "relu6",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = relu6Of(x[i]);
  },
  backward(dx, dy, x) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * relu6Slope(x[i]);
  },
};

/**
 * hard_sigmoid, Keras 3's form (TF.js's "hardSigmoid" is Keras 2's clip(0.2·x + 0.5, 0, 1))
 *   forward:   y  = relu6(x + 3) / 6          (0 for x ≤ −3, 1 for x ≥ 3, x/6 + 1/2 between)
 *   backward:  dx = dy / 6 where −3 < x < 3, else 0       (uses x)
 */
const hardSigmoid: ActivationFunction = {
  name: "hard_sigmoid",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = relu6Of(x[i] + 3) / 6;
  },
  backward(dx, dy, x) {
    for (let i = 0; i < dy.length; i++) dx[i] = (dy[i] * relu6Slope(x[i] + 3)) / 6;
  },
};

/**
 * exponential
 *   forward:   y  = eˣ
 *   backward:  dx = dy · y                                  (uses y)
 */
const exponential: ActivationFunction = {
  name: "exponential",
  forward(y, x) {
    for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]);
  },
  backward(dx, dy, _x, y) {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * y[i];
  },
};

/** The name table's part for these (activations.ts adds them to ACTIVATIONS). */
export const MORE_ACTIVATIONS = {
  elu, selu, gelu, silu, swish, softplus, softsign,
  leaky_relu: leakyRelu, relu6, hard_sigmoid: hardSigmoid, exponential, log_softmax: logSoftmax,
} satisfies Record<string, ActivationFunction>;
