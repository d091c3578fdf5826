// Adam, AdamW, RMSprop, Adagrad, the clip options every optimizer takes, and
// the learning-rate schedules: fixtures worked out by hand, a finite-difference
// check that each rule's first step goes where the gradient says, and the
// errors a user can trigger. TensorFlow.js parity is in optimizers-parity.test.ts.
import { describe, it, expect } from "vitest";
import { Matrix, Param, Sequential, Dense, Activation, setRandomSeed, allocationCount } from "../src/core.js";
import {
  SGD, Adam, AdamW, RMSprop, Adagrad, OPTIMIZERS, getOptimizer,
  LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay, type Optimizer,
} from "../src/optim/index.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { numericGradient, relativeError } from "./helpers/gradcheck.js";

/** One parameter w whose gradient we set by hand each step. */
function param(w: number[]): Param {
  return new Param("w", Matrix.fromArray([w]));
}

/** Steps `opt` once per row of `grads` and returns w after each step. */
function run(opt: Optimizer, w: number[], grads: number[][]): number[][] {
  const p = param(w);
  return grads.map((g) => {
    p.grad.whole().data.set(g);
    opt.step([p]);
    return Array.from(p.value.data);
  });
}

/** Every value of `actual` within 1e-6 of `expected` (the hand numbers carry 7 digits). */
function expectRows(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) => row.forEach((v, i) => expect(v, `step ${t + 1}, w[${i}]`).toBeCloseTo(expected[t][i], 6)));
}

describe("update rules worked out by hand (Keras's conventions)", () => {
  it("Adam: alpha = lr·√(1 − β2^t)/(1 − β1^t); w −= alpha·m/(√v + ε)", () => {
    // lr 0.1, β1 0.9, β2 0.999, ε 1e-7; w = [1, 5], g = [1, 0] then [2, 0].
    // t = 1: m = 0.1, v = 0.001, alpha = 0.1·√0.001/0.1 = 0.0316228,
    //        w = 1 − 0.0316228·0.1/(0.0316228 + 1e-7) = 1 − 0.0999997 = 0.9000003
    // t = 2: m = 0.09 + 0.2 = 0.29, v = 0.000999 + 0.004 = 0.004999, √v = 0.0707036,
    //        alpha = 0.1·√(1 − 0.999²)/(1 − 0.9²) = 0.1·0.0447102/0.19 = 0.0235317,
    //        w = 0.9000003 − 0.0235317·0.29/0.0707037 = 0.9000003 − 0.0965181 = 0.8034822
    // The second weight's gradient is 0: m = v = 0 and it does not move.
    expectRows(run(new Adam({ learningRate: 0.1 }), [1, 5], [[1, 0], [2, 0]]), [[0.9000003, 5], [0.8034822, 5]]);
  });

  it("Adam amsgrad: the largest v so far takes v's place", () => {
    // lr 0.1, β1 = β2 = 0.5 (so that v falls), ε 1e-7 (below the 7 digits here); w = 1, g = 2 then 1.
    // t = 1: m = 1, v = 2, alpha = 0.1·√0.5/0.5 = 0.1414214, w = 1 − 0.1414214·1/√2 = 0.9
    // t = 2: m = 0.5 + 0.5 = 1, v = 1 + 0.5 = 1.5, vMax = 2, alpha = 0.1·√0.75/0.75 = 0.1154701
    //        amsgrad: w = 0.9 − 0.1154701/√2   = 0.9 − 0.0816497 = 0.8183503
    //        plain:   w = 0.9 − 0.1154701/√1.5 = 0.9 − 0.0942809 = 0.8057191
    const options = { learningRate: 0.1, beta1: 0.5, beta2: 0.5 };
    expectRows(run(new Adam({ ...options, amsgrad: true }), [1], [[2], [1]]), [[0.9], [0.8183503]]);
    expectRows(run(new Adam(options), [1], [[2], [1]]), [[0.9], [0.8057191]]);
  });

  it("AdamW: w −= lr·wd·w first, then Adam's step", () => {
    // lr 0.1, wd 0.5, w = 1, g = 1 then 2; Adam's steps are 0.0999997 and 0.0965181 (above).
    // t = 1: w = 1 − 0.1·0.5·1 = 0.95;              w = 0.95 − 0.0999997 = 0.8500003
    // t = 2: w = 0.8500003·(1 − 0.05) = 0.8075003;  w = 0.8075003 − 0.0965181 = 0.7109822
    // (decaying after the step instead would give 0.9000003·0.95 = 0.8550003 at t = 1.)
    expectRows(run(new AdamW({ learningRate: 0.1, weightDecay: 0.5 }), [1], [[1], [2]]), [[0.8500003], [0.7109822]]);
    // weightDecay 0 is Adam.
    expectRows(run(new AdamW({ learningRate: 0.1, weightDecay: 0 }), [1], [[1], [2]]), [[0.9000003], [0.8034822]]);
  });

  it("RMSprop: v = ρ·v + (1 − ρ)·g²; w −= lr·g/√(v + ε)", () => {
    // lr 0.1, ρ 0.9, ε 1e-7; w = 1, g = 1 then 2.
    // t = 1: v = 0.1,               step = 0.1/√0.1000001 = 0.3162276, w = 0.6837724
    // t = 2: v = 0.09 + 0.4 = 0.49, step = 0.2/√0.4900001 = 0.2857143, w = 0.3980581
    expectRows(run(new RMSprop({ learningRate: 0.1 }), [1], [[1], [2]]), [[0.6837724], [0.3980581]]);
  });

  it("RMSprop momentum: b = μ·b + step; w −= b", () => {
    // μ 0.5, steps as above: b = 0.3162276, w = 0.6837724;
    //                        b = 0.1581138 + 0.2857143 = 0.4438281, w = 0.2399443
    expectRows(run(new RMSprop({ learningRate: 0.1, momentum: 0.5 }), [1], [[1], [2]]), [[0.6837724], [0.2399443]]);
  });

  it("RMSprop centered: a = ρ·a + (1 − ρ)·g; w −= lr·g/√(v − a² + ε)", () => {
    // t = 1: v = 0.1,  a = 0.1,  d = 0.1 − 0.01 = 0.09,     step = 0.1/0.3 = 0.3333333, w = 0.6666667
    // t = 2: v = 0.49, a = 0.29, d = 0.49 − 0.0841 = 0.4059, step = 0.2/0.6371028 = 0.3139210, w = 0.3527458
    // The second weight's gradient stays 0: d = ε and it does not move (TF.js's −ε would give NaN).
    expectRows(run(new RMSprop({ learningRate: 0.1, centered: true }), [1, 2], [[1, 0], [2, 0]]), [[0.6666667, 2], [0.3527458, 2]]);
  });

  it("Adagrad: s = s + g² from s = 0.1; w −= lr·g/√(s + ε)", () => {
    // lr 0.1; w = 1, g = 1 then 2.
    // t = 1: s = 1.1, w = 1 − 0.1/1.0488089 = 1 − 0.0953463 = 0.9046537
    // t = 2: s = 5.1, w = 0.9046537 − 0.2/2.2583180 = 0.9046537 − 0.0885615 = 0.8160922
    expectRows(run(new Adagrad({ learningRate: 0.1 }), [1], [[1], [2]]), [[0.9046537], [0.8160922]]);
    // initialAccumulatorValue 1: s = 2, w = 1 − 0.1/√2 = 0.9292893
    expectRows(run(new Adagrad({ learningRate: 0.1, initialAccumulatorValue: 1 }), [1], [[1]]), [[0.9292893]]);
    // ε goes under the root: s0 = 0, ε = 0.01, g = 0.1: s = 0.01, w = 1 − 0.01/√0.02 = 0.9292893
    // (ε outside, PyTorch's place, would give 1 − 0.01/(0.1 + 0.01) = 0.9090909).
    expectRows(run(new Adagrad({ learningRate: 0.1, initialAccumulatorValue: 0, epsilon: 0.01 }), [1], [[0.1]]), [[0.9292893]]);
  });

  it("defaults are Keras 3's", () => {
    const adam = new Adam();
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon, adam.amsgrad]).toEqual([0.001, 0.9, 0.999, 1e-7, false]);
    const adamw = new AdamW();
    expect([adamw.learningRate, adamw.weightDecay, adamw.beta1, adamw.beta2, adamw.epsilon]).toEqual([0.001, 0.004, 0.9, 0.999, 1e-7]);
    const rms = new RMSprop();
    expect([rms.learningRate, rms.rho, rms.momentum, rms.epsilon, rms.centered]).toEqual([0.001, 0.9, 0, 1e-7, false]);
    const ada = new Adagrad();
    expect([ada.learningRate, ada.initialAccumulatorValue, ada.epsilon]).toEqual([0.001, 0.1, 1e-7]);
    for (const opt of [new SGD(), adam, adamw, rms, ada]) {
      expect([opt.clipnorm, opt.clipvalue, opt.globalClipnorm, opt.learningRateSchedule]).toEqual([undefined, undefined, undefined, undefined]);
    }
  });

  it("state comes from allocFloat32 on the first step only; later steps and clipping allocate nothing", () => {
    const cases: [Optimizer, number][] = [
      [new SGD({ momentum: 0.9 }), 1], [new Adam(), 2], [new Adam({ amsgrad: true }), 3], [new AdamW({ clipnorm: 1 }), 2],
      [new RMSprop(), 1], [new RMSprop({ momentum: 0.9, centered: true }), 3], [new Adagrad({ globalClipnorm: 1 }), 1],
    ];
    for (const [opt, buffers] of cases) {
      const ps = [param([1, 2, 3]), param([4, 5])];
      ps.forEach((p) => p.grad.whole().data.fill(3));
      const before = allocationCount().blocks;
      opt.step(ps);
      expect(allocationCount().blocks - before, `${opt.className} first step`).toBe(2 * buffers);
      const after = allocationCount().blocks;
      opt.step(ps);
      opt.step(ps);
      expect(allocationCount().blocks - after, `${opt.className} later steps`).toBe(0);
    }
  });
});

describe("every optimizer follows the gradient (finite differences)", () => {
  // To first order a step Δw changes the loss by Σ ∇L·Δw. Each rule's first
  // step, written out from its doc comment with its state at the start value,
  // is a function of g (and w) alone; feeding it the finite-difference
  // gradient g and summing g·Δw predicts the loss change of the first fit
  // step. The rates keep each weight's move near 1e-4, so the second-order
  // term stays ~1e-3 of the change (measured: 2e-4 to 1.3e-3 here), and the
  // centred differences (helpers/gradcheck) carry ~1e-4 relative error. Hence
  // 5e-3: tight enough that AdamW's decay term (4% of its change) must be right.
  const eps = 1e-7;
  const cases: [string, () => Optimizer, (g: number, w: number) => number][] = [
    // Adam: m = (1 − β1)·g, v = (1 − β2)·g², alpha = lr·√(1 − β2)/(1 − β1): Δw = −lr·g/(|g| + ε/√(1 − β2)).
    ["Adam", () => new Adam({ learningRate: 1e-4 }), (g) => (-1e-4 * g) / (Math.abs(g) + eps / Math.sqrt(0.001))],
    ["Adam amsgrad", () => new Adam({ learningRate: 1e-4, amsgrad: true }), (g) => (-1e-4 * g) / (Math.abs(g) + eps / Math.sqrt(0.001))],
    // AdamW: the decay −lr·wd·w moves the loss too.
    ["AdamW wd 0.5", () => new AdamW({ learningRate: 1e-4, weightDecay: 0.5 }),
      (g, w) => -1e-4 * 0.5 * w + (-1e-4 * g) / (Math.abs(g) + eps / Math.sqrt(0.001))],
    // RMSprop: v = (1 − ρ)·g²: Δw = −lr·g/√(0.1·g² + ε); momentum's first b is the same step.
    ["RMSprop", () => new RMSprop({ learningRate: 3e-5 }), (g) => (-3e-5 * g) / Math.sqrt(0.1 * g * g + eps)],
    ["RMSprop momentum 0.9", () => new RMSprop({ learningRate: 3e-5, momentum: 0.9 }), (g) => (-3e-5 * g) / Math.sqrt(0.1 * g * g + eps)],
    // centered: v − a² = 0.1·g² − 0.01·g² = 0.09·g².
    ["RMSprop centered", () => new RMSprop({ learningRate: 3e-5, centered: true }), (g) => (-3e-5 * g) / Math.sqrt(0.09 * g * g + eps)],
    // Adagrad: s = 0.1 + g²: Δw = −lr·g/√(0.1 + g² + ε).
    ["Adagrad", () => new Adagrad({ learningRate: 3e-3 }), (g) => (-3e-3 * g) / Math.sqrt(0.1 + g * g + eps)],
  ];
  for (const [name, make, firstStep] of cases) {
    it(`${name}: the first step's loss change matches Σ g·Δw(g)`, async () => {
      setRandomSeed(8);
      const rand = lcg(3);
      const model = new Sequential([new Dense(6, { inputDim: 5 }), new Activation("tanh"), new Dense(3), new Activation("softmax")]);
      model.compile({ optimizer: make(), loss: "categorical_crossentropy" });
      const x = randomMatrix(20, 5, rand);
      const y = randomOneHot(20, 3, rand);
      const loss = () => model.evaluate(x, y, { batchSize: 20, verbose: 0 })[0];
      let predicted = 0;
      for (const p of model.layers.flatMap((l) => l.params())) {
        const w = p.value.data;
        numericGradient(w, loss).forEach((g, i) => (predicted += g * firstStep(g, w[i])));
      }
      const before = loss();
      await model.fit(x, y, { batchSize: 20, shuffle: false, verbose: 0 });
      const change = loss() - before;
      const { error } = relativeError([change], [predicted]);
      expect(error, `loss change ${change}, predicted ${predicted}`).toBeLessThan(5e-3);
    });
  }
});

describe("gradient clipping, by hand (SGD at lr 1 from w = 0, so w = −clipped g)", () => {
  function clipped(opt: Optimizer, grads: number[][]): number[][] {
    const ps = grads.map((g) => param(g.map(() => 0)));
    ps.forEach((p, i) => p.grad.whole().data.set(grads[i]));
    opt.step(ps);
    return ps.map((p) => Array.from(p.value.data, (v) => -v));
  }

  it("clipnorm: each parameter's g = g·c/max(‖g‖, c)", () => {
    // ‖[3, 4]‖ = 5 > 1: [0.6, 0.8]; ‖[0.3, 0.4]‖ = 0.5 ≤ 1: as is.
    expectRows(clipped(new SGD({ learningRate: 1, clipnorm: 1 }), [[3, 4], [0.3, 0.4]]), [[0.6, 0.8], [0.3, 0.4]]);
  });

  it("clipvalue: each element to [−v, v]", () => {
    expectRows(clipped(new SGD({ learningRate: 1, clipvalue: 0.5 }), [[3, -4, 0.2], [-0.5, 0.7]]), [[0.5, -0.5, 0.2], [-0.5, 0.5]]);
  });

  it("globalClipnorm: all gradients times c/max(N, c), N = √(Σ‖g‖²)", () => {
    // N = √(9 + 16 + 144) = 13; c = 6.5 halves everything.
    expectRows(clipped(new SGD({ learningRate: 1, globalClipnorm: 6.5 }), [[3, 4], [12]]), [[1.5, 2], [6]]);
    // N = 13 ≤ 20: as is (clipnorm 6.5 would have cut [12] alone to [6.5]).
    expectRows(clipped(new SGD({ learningRate: 1, globalClipnorm: 20 }), [[3, 4], [12]]), [[3, 4], [12]]);
    expectRows(clipped(new SGD({ learningRate: 1, clipnorm: 6.5 }), [[3, 4], [12]]), [[3, 4], [6.5]]);
    // A non-finite norm makes every gradient NaN (Keras), not just the infinite one.
    const [a, b] = clipped(new SGD({ learningRate: 1, globalClipnorm: 1 }), [[Infinity, 1], [2]]);
    expect([...a, ...b].every(Number.isNaN)).toBe(true);
  });

  it("the rule sees the clipped gradient, and p.grad holds it after the step (clipping is in place)", () => {
    // Adagrad lr 0.1, clipnorm 1: g = [3, 4] → [0.6, 0.8]; s = 0.1 + g² = [0.46, 0.74];
    // w = −0.1·[0.6/√0.46, 0.8/√0.74] = −[0.0884652, 0.0929981]
    const p = param([0, 0]);
    p.grad.whole().data.set([3, 4]);
    new Adagrad({ learningRate: 0.1, clipnorm: 1 }).step([p]);
    expectRows([Array.from(p.value.data)], [[-0.0884652, -0.0929981]]);
    expectRows([Array.from(p.grad.whole().data)], [[0.6, 0.8]]);
  });
});

describe("learning-rate schedules", () => {
  it("ExponentialDecay: lr0·rate^(s/steps), staircase ⌊s/steps⌋", () => {
    const smooth = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    // s = 5: 0.1·0.5^0.5 = 0.0707107; s = 10: 0.05; s = 25: 0.1·0.5^2.5 = 0.0176777
    expect([0, 5, 10, 25].map((s) => smooth.at(s))).toEqual([0.1, 0.1 * Math.SQRT1_2, 0.05, 0.1 * 0.5 ** 2.5].map((v) => expect.closeTo(v, 12)));
    expect(smooth.at(5)).toBeCloseTo(0.0707107, 7);
    const stairs = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect([0, 5, 9, 10, 25].map((s) => stairs.at(s))).toEqual([0.1, 0.1, 0.1, 0.05, 0.025]);
  });

  it("PiecewiseConstantDecay: each interval includes its right boundary", () => {
    const s = new PiecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5, 0.1] });
    expect([0, 10, 11, 20, 21, 1000].map((t) => s.at(t))).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
  });

  it("CosineDecay: ½(1 + cos(π·s/steps)) from lr0 to α·lr0, then flat; with a linear warmup", () => {
    // lr0 0.1, 100 steps, α 0.1: s = 50: 0.1·(0.9·0.5 + 0.1) = 0.055; s ≥ 100: 0.01
    const c = new CosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1 });
    expect([0, 50, 100, 200].map((s) => c.at(s))).toEqual([0.1, 0.055, 0.01, 0.01].map((v) => expect.closeTo(v, 12)));
    // from 0 up to 0.1 over 10 steps, then down over 100: s = 5: 0.05; 10: 0.1; 60: 0.05; 110 and on: 0
    const w = new CosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.1, warmupSteps: 10 });
    expect([0, 5, 10, 60, 110, 500].map((s) => w.at(s))).toEqual([0, 0.05, 0.1, 0.05, 0, 0].map((v) => expect.closeTo(v, 12)));
  });

  it("drives the update: the step is iterations before the update (SGD from w = 0, g = 1)", () => {
    // values 0.1 for s ≤ 1, 0.01 after: steps 0, 1, 2 use 0.1, 0.1, 0.01 → w = −0.1, −0.2, −0.21
    const sgd = new SGD({ learningRate: new PiecewiseConstantDecay({ boundaries: [1], values: [0.1, 0.01] }) });
    const seen: number[] = [];
    const p = param([0]);
    for (let t = 0; t < 3; t++) {
      seen.push(sgd.learningRate);
      p.grad.whole().data[0] = 1;
      sgd.step([p]);
      expect(p.value.data[0]).toBeCloseTo([-0.1, -0.2, -0.21][t], 6);
    }
    expect(seen).toEqual([0.1, 0.1, 0.01]);
    expect(sgd.currentLearningRate()).toBe(0.01);
    expect(sgd.learningRateSchedule).toBeInstanceOf(PiecewiseConstantDecay);
  });

  it("drives model.fit: Adam's first steps move each weight by about the scheduled rate", async () => {
    // Adam's first step is lr·g/(|g| + ε/√0.001) ≈ lr·sign(g): with the rate falling from 0.01 by half
    // every step, the steps are 0.01 and 0.005, and the first weight moves by about 0.015 in total.
    setRandomSeed(2);
    const rand = lcg(5);
    const model = new Sequential([new Dense(3, { inputDim: 4 }), new Activation("softmax")]);
    const adam = new Adam({ learningRate: new ExponentialDecay({ initialLearningRate: 0.01, decaySteps: 1, decayRate: 0.5 }) });
    model.compile({ optimizer: adam, loss: "categorical_crossentropy" });
    const x = randomMatrix(8, 4, rand);
    const y = randomOneHot(8, 3, rand);
    const w0 = model.getWeights()[0].data[0];
    await model.fit(x, y, { batchSize: 8, shuffle: false, verbose: 0 });
    expect(Math.abs(model.getWeights()[0].data[0] - w0)).toBeCloseTo(0.01, 4);
    expect(adam.learningRate).toBe(0.005);
    await model.fit(x, y, { batchSize: 8, shuffle: false, verbose: 0 });
    expect(adam.iterations).toBe(2);
    expect(adam.learningRate).toBe(0.0025);
  });

  it("a number learningRate can be set between steps; a scheduled one cannot", () => {
    const sgd = new SGD({ learningRate: 0.1 });
    const p = param([0]);
    p.grad.whole().data[0] = 1;
    sgd.step([p]);
    sgd.learningRate = 0.5;
    sgd.step([p]);
    expect(p.value.data[0]).toBeCloseTo(-0.6, 6);
    expect(() => (sgd.learningRate = -2)).toThrow(/SGD learningRate must be a finite number >= 0, got -2/);
    const scheduled = new Adam({ learningRate: new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }) });
    expect(() => (scheduled.learningRate = 0.5)).toThrow(/Adam follows the learning-rate schedule ExponentialDecay, so its learningRate cannot be set \(tried 0\.5\)/);
  });

  it("a custom schedule that returns a bad rate stops the step before any weight moves", () => {
    class Broken extends LearningRateSchedule {
      readonly className = "Broken";
      at(step: number): number {
        return step < 1 ? 0.1 : NaN;
      }
    }
    const sgd = new SGD({ learningRate: new Broken() });
    const p = param([0]);
    p.grad.whole().data[0] = 1;
    sgd.step([p]);
    expect(() => sgd.step([p])).toThrow(/SGD: the learning-rate schedule Broken gave NaN at step 1; expected a finite number >= 0/);
    expect(p.value.data[0]).toBeCloseTo(-0.1, 7);
    expect(sgd.iterations).toBe(1);
  });
});

describe("the optimizer name table", () => {
  it("each name gives a fresh instance with defaults, in either spelling", () => {
    const classes = { sgd: SGD, adam: Adam, rmsprop: RMSprop, adagrad: Adagrad, adamw: AdamW };
    expect(Object.keys(OPTIMIZERS)).toEqual(Object.keys(classes));
    for (const [name, cls] of Object.entries(classes)) {
      const a = getOptimizer(name), b = getOptimizer(name);
      expect(a).toBeInstanceOf(cls);
      expect(a).not.toBe(b);
      expect(a.iterations).toBe(0);
    }
    expect(getOptimizer("RMSprop")).toBeInstanceOf(RMSprop);
    expect(getOptimizer("rms_prop")).toBeInstanceOf(RMSprop);
    expect(getOptimizer("AdamW")).toBeInstanceOf(AdamW);
    expect(getOptimizer("adam_w")).toBeInstanceOf(AdamW);
    expect(getOptimizer("Adagrad")).toBeInstanceOf(Adagrad);
    expect(getOptimizer("adam")).not.toBeInstanceOf(AdamW);
    const mine = new Adam({ learningRate: 0.01 });
    expect(getOptimizer(mine)).toBe(mine);
    expect(() => getOptimizer("adamm")).toThrow(/unknown optimizer "adamm"; known optimizers: sgd, adam, rmsprop, adagrad, adamw/);
  });

  it("className is Keras's", () => {
    expect(Object.values(OPTIMIZERS).map((make) => make().className)).toEqual(["SGD", "Adam", "RMSprop", "Adagrad", "AdamW"]);
  });
});

describe("bad options give an Error that names the value", () => {
  const exp = { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 };
  it.each([
    [() => new Adam({ learningRate: -1 }), /Adam learningRate must be a finite number >= 0, got -1/],
    [() => new RMSprop({ learningRate: NaN }), /RMSprop learningRate must be a finite number >= 0, got NaN/],
    [() => new Adagrad({ learningRate: "0.1" as never }), /Adagrad learningRate must be a finite number >= 0, got "0\.1"/],
    [() => new Adam({ beta1: 1 }), /Adam beta1 must be a number in \[0, 1\), got 1/],
    [() => new Adam({ beta2: -0.1 }), /Adam beta2 must be a number in \[0, 1\), got -0\.1/],
    [() => new AdamW({ beta1: 1.5 }), /AdamW beta1 must be a number in \[0, 1\), got 1\.5/],
    [() => new Adam({ epsilon: 0 }), /Adam epsilon must be a finite number > 0, got 0/],
    [() => new Adam({ amsgrad: "yes" as never }), /Adam amsgrad must be true or false, got "yes"/],
    [() => new AdamW({ weightDecay: -0.1 }), /AdamW weightDecay must be a finite number >= 0, got -0\.1/],
    [() => new AdamW({ weightDecay: Infinity }), /AdamW weightDecay must be a finite number >= 0, got Infinity/],
    [() => new RMSprop({ rho: 1 }), /RMSprop rho must be a number in \[0, 1\), got 1/],
    [() => new RMSprop({ momentum: -0.5 }), /RMSprop momentum must be a number in \[0, 1\), got -0\.5/],
    [() => new RMSprop({ epsilon: -1e-7 }), /RMSprop epsilon must be a finite number > 0, got -1e-7/],
    [() => new RMSprop({ centered: 1 as never }), /RMSprop centered must be true or false, got 1/],
    [() => new Adagrad({ initialAccumulatorValue: -1 }), /Adagrad initialAccumulatorValue must be a finite number >= 0, got -1/],
    [() => new SGD({ clipnorm: 0 }), /SGD clipnorm must be a finite number > 0, got 0/],
    [() => new Adam({ clipvalue: -1 }), /Adam clipvalue must be a finite number > 0, got -1/],
    [() => new Adagrad({ globalClipnorm: Infinity }), /Adagrad globalClipnorm must be a finite number > 0, got Infinity/],
    [() => new Adam({ clipnorm: 1, clipvalue: 0.5 }), /Adam: only one of clipnorm, clipvalue and globalClipnorm can be set, got clipnorm 1 and clipvalue 0\.5/],
    [() => new SGD({ clipvalue: 1, globalClipnorm: 2 }), /SGD: only one of .* got clipvalue 1 and globalClipnorm 2/],
    [() => new Adam({ beta_1: 0.9 } as never), /Adam got an unknown option "beta_1" \(did you mean beta1\?\); purenn spells options in camelCase; known options: learningRate, clipnorm/],
    [() => new SGD({ learning_rate: 0.1 } as never), /SGD got an unknown option "learning_rate" \(did you mean learningRate\?\)/],
    [() => new Adam({ weightDecay: 0.1 } as never), /Adam got an unknown option "weightDecay"/],
    [() => new Adam(0.01 as never), /Adam expects an options object such as \{ learningRate: 0\.001 \}, got 0\.01/],
    [() => new ExponentialDecay({ ...exp, decaySteps: 0 }), /ExponentialDecay decaySteps must be a finite number > 0, got 0/],
    [() => new ExponentialDecay({ ...exp, decayRate: -0.5 }), /ExponentialDecay decayRate must be a finite number > 0, got -0\.5/],
    [() => new ExponentialDecay({ ...exp, initialLearningRate: -0.1 }), /ExponentialDecay initialLearningRate must be a finite number >= 0, got -0\.1/],
    [() => new ExponentialDecay({ decaySteps: 10, decayRate: 0.5 } as never), /ExponentialDecay initialLearningRate must be a finite number >= 0, got undefined/],
    [() => new ExponentialDecay({ ...exp, staircase: "no" as never }), /ExponentialDecay staircase must be true or false, got "no"/],
    [() => new (ExponentialDecay as new () => unknown)(), /ExponentialDecay expects an options object such as .*, got undefined/],
    [() => new PiecewiseConstantDecay({ boundaries: [10, 10], values: [1, 0.5, 0.1] }), /boundaries must be strictly increasing, got 10 after 10 \(boundaries \[10, 10\]\)/],
    [() => new PiecewiseConstantDecay({ boundaries: [20, 10], values: [1, 0.5, 0.1] }), /strictly increasing, got 10 after 20/],
    [() => new PiecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5] }), /values must have boundaries\.length \+ 1 = 3 numbers, got 2/],
    [() => new PiecewiseConstantDecay({ boundaries: [10], values: [1, -0.5] }), /PiecewiseConstantDecay values\[1\] must be a finite number >= 0, got -0\.5/],
    [() => new PiecewiseConstantDecay({ boundaries: [NaN], values: [1, 0.5] }), /PiecewiseConstantDecay boundaries\[0\] must be a finite number, got NaN/],
    [() => new PiecewiseConstantDecay({ boundaries: 10 as never, values: [1, 0.5] }), /boundaries must be an array of steps, got 10/],
    [() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: -5 }), /CosineDecay decaySteps must be a finite number > 0, got -5/],
    [() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 1.5 }), /CosineDecay alpha must be a number in \[0, 1\], got 1\.5/],
    [() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupSteps: 5 }), /CosineDecay warmupSteps 5 needs a warmupTarget/],
    [() => new CosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.1, warmupSteps: 2.5 }), /CosineDecay warmupSteps must be an integer >= 0, got 2\.5/],
    [() => new CosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: -1 }), /CosineDecay warmupTarget must be a finite number >= 0, got -1/],
  ])("%#: %s", (make, message) => {
    expect(make).toThrow(message);
  });
});
