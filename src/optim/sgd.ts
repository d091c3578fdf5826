/**
 * Stochastic gradient descent, with optional momentum and Nesterov momentum.
 * Keras's convention (keras.optimizers.SGD), with g the gradient, lr the
 * learning rate, m the momentum and v a velocity that starts at 0:
 *
 *   momentum = 0:   w = w − lr·g        in float32 arithmetic (lr and lr·g rounded to
 *                                        float32), exactly TensorFlow.js's tf.train.sgd
 *   momentum > 0:   v = m·v − lr·g;   w = w + v
 *   nesterov:       v = m·v − lr·g;   w = w + m·v − lr·g
 *
 * TensorFlow.js (tf.train.momentum) and PyTorch keep b = m·b + g and step
 * w = w − lr·b (nesterov: w = w − lr·(g + m·b)); with a constant lr, v = −lr·b
 * and the two give the same weights. Under a schedule they differ: Keras's v
 * remembers each step's own lr, theirs applies today's lr to all of b.
 *
 * State per parameter: the velocity v. Saved (getState), it becomes TF.js's
 * Momentum layout: slot "momentum" holds b = −v/lr, which tf.loadLayersModel
 * reads. In float32, v → b → v can miss v by a unit in the last place, so
 * slot "velocity" follows with v itself; TF.js keeps it as an unused extra
 * accumulator. setState takes v from "velocity" while b still equals −v/lr
 * (no one has trained the saved b further), else v = −lr·b.
 */
import type { Param } from "../tensor/parameter.js";
import { backend } from "../tensor/backend.js";
import { flag, fraction } from "./checks.js";
import { Optimizer, type OptimizerOptions, type OptimizerState } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  /** Step size (or a schedule); default 0.01 (Keras). */
  learningRate?: OptimizerOptions["learningRate"];
  /** Momentum m in [0, 1); default 0. */
  momentum?: number;
  /** Use Nesterov momentum; default false. */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super("SGD", options, 0.01, ["momentum", "nesterov"]);
    const { momentum = 0, nesterov = false } = options;
    this.momentum = fraction("SGD", "momentum", momentum);
    this.nesterov = flag("SGD", "nesterov", nesterov);
  }

  protected update(p: Param, lr: number): void {
    if (this.momentum === 0) return backend().sgd(p.value, p.grad, lr); // w −= lr·g
    const [v] = this.slots(p);
    backend().momentum(p.value, p.grad.whole(), v, lr, this.momentum, this.nesterov); // v = m·v − lr·g; w += v (or m·v − lr·g)
  }

  get slotNames(): readonly string[] {
    return this.momentum > 0 ? ["velocity"] : [];
  }

  /** The state in TF.js's Momentum layout: b = −v/lr in "momentum", then v in "velocity" (see the header). */
  override getState(params: readonly Param[]): OptimizerState {
    const state = super.getState(params);
    if (state.slots.length === 0) return state;
    const v = state.slots[0].values;
    const lr = this.currentLearningRate();
    return { iterations: state.iterations, slots: [{ name: "momentum", values: v.map((vi) => accumulationOf(vi, lr)) }, state.slots[0]] };
  }

  /** Takes TF.js's "momentum" (b), with or without purenn's "velocity" (v) after it. */
  override setState(params: readonly Param[], state: OptimizerState, where: string = this.className): void {
    const [b, v, ...rest] = state.slots;
    const tfjsLayout = b?.name === "momentum" && (v === undefined || v.name === "velocity") && rest.length === 0;
    if (!tfjsLayout || !Number.isInteger(state.iterations) || state.iterations < 0) {
      super.setState(params, state, where); // no slots, or ones the base check names as wrong
      return;
    }
    const lr = this.learningRateAt(state.iterations); // the rate getState divided by
    const exact = v !== undefined && v.values.length === b.values.length &&
      v.values.every((vi, j) => sameValues(accumulationOf(vi, lr), b.values[j]));
    const velocity = exact ? v.values : b.values.map((bi) => Float32Array.from(bi, (x) => -lr * x));
    super.setState(params, { iterations: state.iterations, slots: [{ name: "velocity", values: velocity }] }, where);
  }

  protected override get savedSlotNames(): readonly string[] {
    return this.momentum > 0 ? ["momentum", "velocity"] : [];
  }

  protected override describeSelf(): string {
    return `SGD (momentum ${this.momentum})`;
  }
}

/** TF.js's accumulation b = −v/lr (0 at lr 0, where TF.js's step lr·b is 0 whatever b is). */
function accumulationOf(v: Float32Array, lr: number): Float32Array {
  return Float32Array.from(v, (x) => (lr === 0 ? 0 : -x / lr));
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}
