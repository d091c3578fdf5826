// Activation kernels (src/layers/activations.ts): values worked out by hand,
// erfc against a float64 reference, the slope taken at each kink, centred
// finite differences over a wide range, and TensorFlow.js 'cpu' on the same inputs.
import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { ACTIVATIONS, Activation } from "../src/core.js";
import { getActivation } from "../src/layers/activations.js";
import { erfc } from "../src/layers/more-activations.js";
import { lcg } from "./helpers/data.js";
import { numericGradient, relativeError, dot, TOLERANCE } from "./helpers/gradcheck.js";
import { useTfjsCpu } from "./helpers/tfjs.js";

/** f(x) for one row of values (row-wise kernels see them as one sample). */
function forward(name: string, xs: number[]): Float32Array {
  const y = new Float32Array(xs.length);
  getActivation(name).forward(y, Float32Array.from(xs), 1, xs.length);
  return y;
}

/** dx for dy = 1 everywhere: the slope f′ at each x (element-wise kernels). */
function slopes(name: string, xs: number[]): Float32Array {
  const x = Float32Array.from(xs), y = new Float32Array(xs.length), dx = new Float32Array(xs.length);
  const k = getActivation(name);
  k.forward(y, x, 1, xs.length);
  k.backward(dx, new Float32Array(xs.length).fill(1), x, y, 1, xs.length);
  return dx;
}

/** Largest |a − b| / max(1, |b|), with where it is, for failure messages. */
function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= max)) { max = d; at = i; }
  }
  return { max, at };
}

const LAMBDA = 1.0507009873554805, ALPHA = 1.6732632423543772;

describe("activation values worked out by hand", () => {
  // Exact values (float64), compared to about one float32 rounding.
  it.each([
    ["gelu", [1, -1, 0, 2], [0.8413447460685429, -0.15865525393145707, 0, 1.9544997361036416]],
    ["selu", [1, -1, 0], [LAMBDA, LAMBDA * ALPHA * (Math.exp(-1) - 1), 0]],
    ["elu", [2, -1, 0], [2, Math.exp(-1) - 1, 0]],
    ["silu", [1, -2, 0], [1 / (1 + Math.exp(-1)), -2 / (1 + Math.exp(2)), 0]],
    ["swish", [1], [1 / (1 + Math.exp(-1))]],
    ["softplus", [0, 100, -100, 1], [Math.LN2, 100, Math.exp(-100), Math.log(1 + Math.E)]],
    ["softsign", [1, -3, 0], [0.5, -0.75, 0]],
    ["leaky_relu", [-1, 2, 0], [-0.2, 2, 0]],
    ["relu6", [-1, 3, 7, 6], [0, 3, 6, 6]],
    ["hard_sigmoid", [0, 1.5, -3, 3, -4, 4], [0.5, 0.75, 0, 1, 0, 1]],
    ["exponential", [1, 0, -1], [Math.E, 1, Math.exp(-1)]],
    ["log_softmax", [1, 2, 3], [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806]],
    ["log_softmax", [1000, 0], [0, -1000]], // the max is subtracted first: no overflow
  ])("%s(%j)", (name, xs, expected) => {
    const y = forward(name, xs);
    expected.forEach((e, i) => expect(Math.abs(y[i] - e), `${name}(${xs[i]}) = ${y[i]}, expected ${e}`).toBeLessThanOrEqual(1.2e-7 * Math.max(1, Math.abs(e))));
  });

  it("the selu constants are Klambauer et al.'s λ and α (and λ·α, the slope just left of 0)", () => {
    expect(forward("selu", [1])[0]).toBe(Math.fround(1.0507009873554805));
    expect(slopes("selu", [-1e-9])[0]).toBe(Math.fround(1.7580993408473766));
  });

  it("silu and swish are one function under two names, each keeping its own", () => {
    const xs = [-3, -0.5, 0.25, 2];
    expect(forward("swish", xs)).toEqual(forward("silu", xs));
    expect(slopes("swish", xs)).toEqual(slopes("silu", xs));
    expect(new Activation("swish").activation.name).toBe("swish");
    expect(new Activation("silu").activation.name).toBe("silu");
  });

  it("TensorFlow.js spellings find the same kernels", () => {
    expect(getActivation("leakyRelu")).toBe(ACTIVATIONS.leaky_relu);
    expect(getActivation("hardSigmoid")).toBe(ACTIVATIONS.hard_sigmoid);
    expect(getActivation("logSoftmax")).toBe(ACTIVATIONS.log_softmax);
  });

  it("the table keeps the tutorial's five first, in their order", () => {
    expect(Object.keys(ACTIVATIONS).slice(0, 5)).toEqual(["linear", "sigmoid", "relu", "tanh", "softmax"]);
  });
});

describe("erfc (for gelu)", () => {
  /** float64 reference: the Maclaurin series of erf for |z| < 3, the continued fraction of erfc beyond. */
  function erfcReference(z: number): number {
    if (z < 0) return 2 - erfcReference(-z);
    if (z < 3) {
      let term = z, sum = z;
      for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
        term *= (-z * z) / n;
        sum += term / (2 * n + 1);
      }
      return 1 - (2 / Math.sqrt(Math.PI)) * sum;
    }
    // erfc(z) = exp(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated from the tail.
    let f = z;
    for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
    return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }

  it("matches known values", () => {
    for (const [z, e] of [[0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047266], [3, 2.209049699858544e-5], [4, 1.541725790028002e-8]]) {
      expect(Math.abs(erfcReference(z) - e) / e).toBeLessThan(1e-12); // the reference itself
      expect(Math.abs(erfc(z) - e) / e).toBeLessThan(1.2e-7);
    }
  });

  it("has relative error below 1.2e-7 on [-6, 9] (Numerical Recipes' bound)", () => {
    let worst = 0, at = 0;
    for (let z = -6; z <= 9; z += 0.005) {
      const e = Math.abs(erfc(z) - erfcReference(z)) / erfcReference(z);
      if (e > worst) { worst = e; at = z; }
    }
    expect(worst, `largest relative error ${worst} at z = ${at}`).toBeLessThan(1.2e-7);
  });
});

describe("the slope at each kink is TensorFlow's (Keras 3's backend)", () => {
  it.each([
    ["relu", [0], [0]],
    ["leaky_relu", [0], [Math.fround(0.2)]],
    ["relu6", [0, 6], [0, 0]], // TF.js: 0 and 1
    ["hard_sigmoid", [-3, 3], [0, 0]],
    ["elu", [0], [1]],
    ["selu", [0], [Math.fround(LAMBDA)]], // TF.js: λ·α
  ])("%s at %j", (name, xs, expected) => {
    expect(Array.from(slopes(name, xs))).toEqual(expected);
  });
});

describe("finite-difference gradient checks over [-8, 8]", () => {
  // The generic loop in gradcheck.test.ts draws x from [-2, 2]; this one also
  // crosses relu6's corner at 6 and hard_sigmoid's at ±3. Inputs stay 0.05 away
  // from every kink (0, ±3, 6), farther than the step h = 1e-2.
  const KINKS = [0, -3, 3, 6];
  const rand = lcg(23);
  for (const name of Object.keys(ACTIVATIONS)) {
    it(name, () => {
      const n = 6, c = 8;
      const x = new Float32Array(n * c).map(() => {
        let v = -8 + 16 * rand();
        while (KINKS.some((k) => Math.abs(v - k) < 0.05)) v = -8 + 16 * rand();
        return v;
      });
      const r = new Float32Array(n * c).map(() => rand() - 0.5);
      const k = getActivation(name);
      const y = new Float32Array(n * c), dx = new Float32Array(n * c);
      const f = () => {
        k.forward(y, x, n, c);
        return dot(y, r);
      };
      f();
      k.backward(dx, r, x, y, n, c);
      const numeric = numericGradient(x, f);
      const { error, worst } = relativeError(dx, numeric);
      expect(error, `${name}: relative error ${error}, worst at x = ${x[worst]}: ${dx[worst]} vs ${numeric[worst]}`).toBeLessThan(TOLERANCE);
    });
  }
});

describe("activations agree with TensorFlow.js 4.22 'cpu'", () => {
  beforeAll(useTfjsCpu);

  // TF.js twin of every purenn activation: tf.layers.activation where TF.js has
  // the same function under a layer name, plain ops where it has not.
  const layer = (activation: string) => (x: tf.Tensor) => tf.layers.activation({ activation: activation as never }).apply(x) as tf.Tensor;
  const TWINS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
    linear: layer("linear"), sigmoid: layer("sigmoid"), relu: layer("relu"), tanh: layer("tanh"), softmax: layer("softmax"),
    elu: layer("elu"), selu: layer("selu"), gelu: layer("gelu"),
    silu: layer("swish"), swish: layer("swish"), // TF.js has no "silu" name
    softplus: layer("softplus"), softsign: layer("softsign"), relu6: layer("relu6"),
    leaky_relu: (x) => tf.leakyRelu(x, 0.2), // Keras 3's default; tf.layers.leakyReLU defaults to 0.3
    hard_sigmoid: (x) => tf.div(tf.relu6(tf.add(x, 3)), 6), // TF.js's "hardSigmoid" is Keras 2's clip(0.2x + 0.5)
    exponential: (x) => tf.exp(x), // no TF.js layer name
    log_softmax: layer("logSoftmax"),
  };
  // Inputs in [-6, 6] avoiding the kinks (their slopes are tested above, where TF.js differs).
  const n = 8, c = 12;
  const rand = lcg(41);
  const xs = new Float32Array(n * c).map(() => {
    let v = -6 + 12 * rand();
    while ([0, -3, 3, 6].some((k) => Math.abs(v - k) < 1e-3)) v = -6 + 12 * rand();
    return v;
  });
  const r = new Float32Array(n * c).map(() => rand() - 0.5);

  // Tolerance: |ours − tfjs| ≤ 2e-6 · max(1, |tfjs|). Both compute in float32 with
  // Math.exp underneath; gelu differs by TF.js's erf approximation (absolute error
  // 1.5e-7, times |x|/2), softplus by TF.js's cut-offs (y = x above 13.9).
  const TOL = 2e-6;
  for (const name of Object.keys(ACTIVATIONS)) {
    it(`${name}: forward and dx`, () => {
      const twin = TWINS[name];
      expect(twin, `no TF.js twin for "${name}"`).toBeDefined();
      const k = getActivation(name);
      const y = new Float32Array(n * c), dx = new Float32Array(n * c);
      k.forward(y, xs, n, c);
      k.backward(dx, r, xs, y, n, c);
      const [theirY, theirDx] = tf.tidy(() => {
        const x = tf.tensor2d(xs, [n, c]), rT = tf.tensor2d(r, [n, c]);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(twin(v), rT)))(x);
        return [twin(x).dataSync(), g.dataSync()];
      });
      const fy = largestDifference(y, theirY), fdx = largestDifference(dx, theirDx);
      expect(fy.max, `${name} forward: largest difference ${fy.max} at x = ${xs[fy.at]}: ${y[fy.at]} vs ${theirY[fy.at]}`).toBeLessThan(TOL);
      expect(fdx.max, `${name} dx: largest difference ${fdx.max} at x = ${xs[fdx.at]}: ${dx[fdx.at]} vs ${theirDx[fdx.at]}`).toBeLessThan(TOL);
    });
  }
});
