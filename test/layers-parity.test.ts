// Dropout, BatchNormalization and the regularizers against TensorFlow.js 4.22
// ('cpu' backend), on the same weights and data.
//
// Tolerances. Batch norm in inference mode is one expression per value,
// β + (x − m)·γ/√(v + ε): tfjs's cpu kernel evaluates it in float64 from
// float32 inputs and rounds once, and so does purenn, so on the same weights
// the outputs agree to an ulp (they come out identical) — 1e-6 is asked for.
// In training mode tfjs computes the batch mean and variance with float32
// tensor ops (each op rounds), purenn in float64: the statistics differ by a
// few 1e-7 relative, and dividing by σ amplifies that to ~1e-6 on y; 1e-5 is
// tight enough to catch a wrong formula (biased vs unbiased variance moves y
// by ~1e-2 on 16 rows). Gradients, from tfjs's autodiff through moments and
// batchNorm, get 1e-5 relative to their scale.
//
// Set PARITY_REPORT=1 to print the largest difference seen in every case.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix } from "../src/core.js";
import { Dropout } from "../src/layers/dropout.js";
import { BatchNormalization } from "../src/layers/batch-normalization.js";
import { l1, l2, l1l2 } from "../src/layers/regularizers.js";
import { useTfjsCpu, toTensor } from "./helpers/tfjs.js";
import { lcg, randomMatrix } from "./helpers/data.js";

beforeAll(useTfjsCpu);

const observed: [string, number][] = [];

afterAll(() => {
  if (!process.env.PARITY_REPORT) return;
  const width = Math.max(...observed.map(([what]) => what.length));
  console.log(observed.map(([what, d]) => `${what.padEnd(width)}  ${d.toExponential(2)}`).join("\n"));
});

/** Asserts max |a − b| < tolerance; the message names the largest difference and where. */
function expectClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number): void {
  expect(a.length, `${what}: lengths differ`).toBe(b.length);
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) {
      max = d;
      at = i;
    }
  }
  observed.push([what, max]);
  expect(max, `${what}: largest diff ${max} at ${at} (purenn ${a[at]}, tfjs ${b[at]})`).toBeLessThan(tolerance);
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Our BatchNormalization and a tfjs one with the same γ, β, moving mean and variance (random, non-trivial). */
function twinBatchNorms(c: number, seed: number, options: { momentum?: number; epsilon?: number; center?: boolean; scale?: boolean } = {}) {
  const rand = lcg(seed);
  const ours = new BatchNormalization(options);
  ours.build(c);
  const theirs = tf.layers.batchNormalization(options);
  theirs.build([null, c]);
  for (const w of ours.weights()) {
    const [lo, hi] = w.name === "moving_variance" ? [0.2, 3] : w.name === "gamma" ? [0.5, 2] : [-1, 1];
    for (let j = 0; j < c; j++) w.value.data[j] = lo + (hi - lo) * rand();
  }
  expect(theirs.getWeights().map((t) => t.shape)).toEqual(ours.weights().map(() => [c]));
  // A copy: on the cpu backend tf.tensor keeps the Float32Array it is given, so without one
  // the two engines would share (and both update) the moving statistics.
  theirs.setWeights(ours.weights().map((w) => tf.tensor1d(Float32Array.from(w.value.data))));
  return { ours, theirs };
}

function tfjsApply(layer: tf.layers.Layer, x: Matrix, training: boolean): Float32Array {
  return tf.tidy(() => (layer.apply(toTensor(x), { training }) as tf.Tensor).dataSync() as Float32Array);
}

describe("BatchNormalization agrees with tf.layers.batchNormalization", () => {
  for (const options of [{}, { center: false }, { scale: false }, { center: false, scale: false, epsilon: 0.01 }]) {
    it(`inference mode ${JSON.stringify(options)}: the same output to 1e-6`, () => {
      const { ours, theirs } = twinBatchNorms(12, 1, options);
      const x = randomMatrix(40, 12, lcg(2), -3, 5);
      expectClose(`BN inference ${JSON.stringify(options)}`, ours.forward(x, false).data, tfjsApply(theirs, x, false), 1e-6);
    });
  }

  it("training mode, three batches with momentum 0.9: output to 1e-5, moving statistics to 1e-6", () => {
    const { ours, theirs } = twinBatchNorms(10, 3, { momentum: 0.9 });
    const rand = lcg(4);
    for (let step = 0; step < 3; step++) {
      const x = randomMatrix(16, 10, rand, -2, 6);
      expectClose(`BN training step ${step + 1} output`, ours.forward(x, true).data, tfjsApply(theirs, x, true), 1e-5);
      const [, , mm, mv] = theirs.getWeights().map((t) => t.dataSync());
      expectClose(`BN training step ${step + 1} moving_mean`, ours.movingMean.data, mm, 1e-6);
      expectClose(`BN training step ${step + 1} moving_variance`, ours.movingVariance.data, mv, 1e-6);
    }
    // And inference afterwards uses the moving statistics both engines arrived at. Those
    // differ by float32 rounding (~2e-7, above), which (x − m)/√v amplifies: 1e-5 here.
    const x = randomMatrix(8, 10, rand, -2, 6);
    expectClose("BN inference after training", ours.forward(x, false).data, tfjsApply(theirs, x, false), 1e-5);
  });

  it("training-mode gradients dx, dgamma, dbeta equal tfjs's autodiff of Σ y ⊙ r", () => {
    const { ours, theirs } = twinBatchNorms(6, 5);
    const x = randomMatrix(9, 6, lcg(6), -2, 4);
    const r = randomMatrix(9, 6, lcg(7));
    ours.forward(x, true);
    const dx = ours.backward(r)!;
    const [gamma, beta] = ours.params();
    const xT = toTensor(x), rT = toTensor(r);
    const vars = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(theirs.apply(input, { training: true }) as tf.Tensor, rT)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => f(xT), vars);
    const tfDx = tf.grad(f)(xT);
    const tol = (g: ArrayLike<number>) => 1e-5 * Math.max(1, maxAbs(g));
    expectClose("BN dx", dx.data, tfDx.dataSync(), tol(dx.data));
    expectClose("BN dgamma", gamma.grad.whole().data, grads[vars[0].name].dataSync(), tol(gamma.grad.whole().data));
    expectClose("BN dbeta", beta.grad.whole().data, grads[vars[1].name].dataSync(), tol(beta.grad.whole().data));
    tf.dispose([xT, rT, tfDx, ...Object.values(grads)]);
  });
});

describe("Dropout agrees with tf.layers.dropout", () => {
  it("rate 0 in training, and any rate at inference: the identity, to 1e-6", () => {
    const x = randomMatrix(20, 7, lcg(8));
    const zero = new Dropout(0);
    zero.build(7);
    expectClose("Dropout(0) training", zero.forward(x, true).data, tfjsApply(tf.layers.dropout({ rate: 0 }), x, true), 1e-6);
    const half = new Dropout(0.5);
    half.build(7);
    expectClose("Dropout(0.5) inference", half.forward(x, false).data, tfjsApply(tf.layers.dropout({ rate: 0.5 }), x, false), 1e-6);
  });

  it("in training both keep values scaled by 1/(1 − rate) (the masks differ: different generators)", () => {
    const x = randomMatrix(50, 40, lcg(9), 0.5, 1.5);
    const rate = 0.25;
    const theirs = tfjsApply(tf.layers.dropout({ rate, seed: 1 }), x, true);
    const ours = new Dropout(rate);
    ours.build(40);
    const y = ours.forward(x, true).data;
    const kept = (out: ArrayLike<number>) => Array.from(out).map((v, i) => (v === 0 ? NaN : v / x.data[i])).filter((s) => !Number.isNaN(s));
    for (const [who, out] of [["purenn", y], ["tfjs", theirs]] as const) {
      const scales = kept(out);
      expect(Math.abs(1 - scales.length / x.data.length - rate), `${who} dropped fraction`).toBeLessThan(0.04);
      expect(Math.max(...scales.map((s) => Math.abs(s - 1 / (1 - rate)))), `${who} scale`).toBeLessThan(1e-6);
    }
  });
});

describe("regularizers agree with tf.regularizers", () => {
  it("penalty (to 1e-6 relative) and its gradient (to 1e-6) for l1, l2, l1l2", () => {
    const w = randomMatrix(30, 20, lcg(10));
    const cases = [
      ["l1(0.01)", l1(0.01), tf.regularizers.l1({ l1: 0.01 })],
      ["l2(0.02)", l2(0.02), tf.regularizers.l2({ l2: 0.02 })],
      ["l1l2()", l1l2(), tf.regularizers.l1l2()],
    ] as const;
    for (const [name, ours, theirs] of cases) {
      const wT = tf.tensor2d(w.data, [30, 20]);
      const loss = theirs.apply(wT).dataSync()[0];
      expect(Math.abs(ours.loss(w) - loss) / loss, `${name} loss ${ours.loss(w)} vs ${loss}`).toBeLessThan(1e-6);
      observed.push([`${name} loss (relative)`, Math.abs(ours.loss(w) - loss) / loss]);
      const grad = new Matrix(30, 20);
      ours.addGradient(grad, w);
      const tfGrad = tf.grad((t: tf.Tensor) => theirs.apply(t) as tf.Scalar)(wT);
      expectClose(`${name} gradient`, grad.data, tfGrad.dataSync(), 1e-6);
      tf.dispose([wT, tfGrad]);
    }
  });
});

describe("initializers: Keras 3 and TensorFlow.js differ on the *_normal family", () => {
  it("tfjs's heNormal has standard deviation 0.8796·√(2/fanIn), Keras's (and purenn's) √(2/fanIn)", () => {
    const values = tf.tidy(() => tf.initializers.heNormal({ seed: 1 }).apply([400, 300]).dataSync() as Float32Array);
    let sq = 0;
    for (const v of values) sq += v * v;
    const std = Math.sqrt(sq / values.length);
    expect(Math.abs(std / (0.87962566103423978 * Math.sqrt(2 / 400)) - 1)).toBeLessThan(0.01);
  });
});
