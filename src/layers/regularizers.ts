/**
 * Weight regularizers, as Keras defines them: a penalty on a weight matrix w
 * that the model adds to the training loss, so the gradient step also pulls
 * the weights toward 0.
 *
 *   l1:     R(w) = l1 · Σ |w|          ∂R/∂w = l1 · sign(w)     (sign(0) = 0, as TensorFlow)
 *   l2:     R(w) = l2 · Σ w²           ∂R/∂w = 2 · l2 · w
 *   l1_l2:  R(w) = l1 · Σ |w| + l2 · Σ w²
 *
 * Note l2's penalty has no ½: Keras's l2(0.01) is weight decay 0.02·w per unit
 * learning rate.
 *
 * A layer with a regularizer on a weight (Dense's kernelRegularizer) reports
 * Σ R(w) from regularizationLoss(), and in backward adds ∂R/∂w into that
 * weight's gradient, after the data gradient.
 *
 * Factors (Keras 3):
 *   l1(f = 0.01), l2(f = 0.01)       and the names "l1", "l2"
 *   l1l2({ l1 = 0.01, l2 = 0.01 })   and the name "l1_l2": 0.01 each, the
 *       factors Keras documents for the name 'l1_l2' and that tf.keras's l1_l2()
 *       and TensorFlow.js's l1l2() use. (Keras 3's L1L2 class defaults both to
 *       0; `new L1L2({ l1: 0.1 })` here gives l2 = 0 like it.)
 */
import { describe, type Matrix } from "../tensor/matrix.js";
import { checkOptions, lookupName, optionNames, type Spelled } from "../tensor/names.js";

/** A penalty on a weight, with its gradient. */
export interface Regularizer {
  /** Keras's class name, for saved configs: "L1", "L2" or "L1L2" (absent on a custom one). */
  readonly className?: string;
  /** The penalty R(w), summed in float64. */
  loss(w: Matrix): number;
  /** grad += ∂R/∂w, element by element. */
  addGradient(grad: Matrix, w: Matrix): void;
  /** Keras's config: { l1 }, { l2 } or { l1, l2 } (absent on a custom one). */
  getConfig?(): Record<string, number>;
}

export interface L1L2Options {
  /** The L1 factor; default 0 (Keras's L1L2 class). */
  l1?: number;
  /** The L2 factor; default 0 (Keras's L1L2 class). */
  l2?: number;
}

const L1L2_OPTIONS = optionNames<L1L2Options>({ l1: true, l2: true });
const L1L2_EXAMPLE = "{ l1: 0.01, l2: 0.01 }";

/** R(w) = l1·Σ|w| + l2·Σw². l1() and l2() are this with one factor 0. */
export class L1L2 implements Regularizer {
  readonly className: string;
  readonly l1: number;
  readonly l2: number;

  constructor(options?: L1L2Options, className = "L1L2") {
    const { l1 = 0, l2 = 0 } = checkOptions(className, options, L1L2_OPTIONS, { example: L1L2_EXAMPLE });
    this.l1 = checkFactor(className, "l1", l1);
    this.l2 = checkFactor(className, "l2", l2);
    this.className = className;
  }

  loss(w: Matrix): number {
    const d = w.data;
    let abs = 0, sq = 0;
    for (let i = 0; i < d.length; i++) {
      abs += Math.abs(d[i]);
      sq += d[i] * d[i];
    }
    return this.l1 * abs + this.l2 * sq;
  }

  addGradient(grad: Matrix, w: Matrix): void {
    const g = grad.data, d = w.data;
    const l1 = this.l1, twoL2 = 2 * this.l2;
    for (let i = 0; i < d.length; i++) g[i] += l1 * Math.sign(d[i]) + twoL2 * d[i];
  }

  getConfig(): Record<string, number> {
    if (this.className === "L1") return { l1: this.l1 };
    if (this.className === "L2") return { l2: this.l2 };
    return { l1: this.l1, l2: this.l2 };
  }

  toString(): string {
    return `${this.className}(${Object.entries(this.getConfig()).map(([k, v]) => `${k}=${v}`).join(", ")})`;
  }
}

/** L1 penalty, R(w) = factor·Σ|w| (Keras's `regularizers.l1(0.01)`). */
export function l1(factor = 0.01): Regularizer {
  return new L1L2({ l1: checkFactor("l1", "factor", factor) }, "L1");
}

/** L2 penalty, R(w) = factor·Σw² (Keras's `regularizers.l2(0.01)`). */
export function l2(factor = 0.01): Regularizer {
  return new L1L2({ l2: checkFactor("l2", "factor", factor) }, "L2");
}

/** Both penalties, R(w) = l1·Σ|w| + l2·Σw²; each factor defaults to 0.01. */
export function l1l2(options?: L1L2Options): Regularizer {
  const { l1 = 0.01, l2 = 0.01 } = checkOptions("l1l2", options, L1L2_OPTIONS, { example: L1L2_EXAMPLE });
  return new L1L2({ l1, l2 });
}

/** The names a layer option accepts, with their default factors. */
const regularizers = {
  l1: () => l1(),
  l2: () => l2(),
  l1_l2: () => l1l2(),
} satisfies Record<string, () => Regularizer>;

/** A regularizer's name: "l1", "l2", "l1_l2" (TensorFlow.js: "l1l2"). */
export type RegularizerName = Spelled<keyof typeof regularizers> | "l1l2";
export const REGULARIZERS: Record<string, () => Regularizer> = regularizers;

/**
 * A regularizer option: a name ("l1", "l2", "l1_l2", either spelling), a
 * Regularizer object, or undefined / null for none.
 */
export function getRegularizer(spec: unknown, who: string): Regularizer | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (typeof spec === "string") return lookupName(REGULARIZERS, spec, "regularizer")();
  const r = spec as Partial<Regularizer>;
  if (typeof spec === "object" && typeof r.loss === "function" && typeof r.addGradient === "function") return spec as Regularizer;
  throw new Error(
    `${who} expects a regularizer name (${Object.keys(REGULARIZERS).join(", ")}) or an object such as l2(0.01), got ${describe(spec)}`,
  );
}

function checkFactor(who: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new Error(`${who}: ${what} must be a non-negative finite number, got ${describe(v)}`);
  }
  return v;
}
