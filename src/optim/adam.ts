/**
 * Adam (Kingma & Ba, 2014), in Keras's form (keras.optimizers.Adam). With g
 * the gradient, t = iterations + 1 the step number, lr the learning rate and
 * moving averages m, v that start at 0:
 *
 *   m = β1·m + (1 − β1)·g
 *   v = β2·v + (1 − β2)·g²
 *   alpha = lr·√(1 − β2^t) / (1 − β1^t)
 *   w = w − alpha·m / (√v + ε)
 *
 *   amsgrad: vMax = max(vMax, v), and vMax takes v's place in the last line.
 *
 * ε is "epsilon hat", the form just before section 2.1 of the paper: the
 * bias corrections are folded into alpha and ε is added to the uncorrected √v.
 *
 * TensorFlow.js (tf.train.adam) and PyTorch follow the paper's Algorithm 1:
 *   m̂ = m / (1 − β1^t);   v̂ = v / (1 − β2^t);   w = w − lr·m̂ / (√v̂ + ε)
 * which is the rule above with ε replaced by ε·√(1 − β2^t): the same ε weighs
 * 1/√(1 − β2^t) times less here (≈ 32 times at t = 1 with β2 = 0.999, tending
 * to 1 as t grows). The two agree as ε → 0. TF.js has no amsgrad.
 *
 * State per parameter (slots, TF.js's names): "m", "v", and "vhat" (vMax) with amsgrad.
 */
import type { Param } from "../tensor/parameter.js";
import { flag, fraction, positive } from "./checks.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface AdamOptions extends OptimizerOptions {
  /** Step size (or a schedule); default 0.001 (Keras). */
  learningRate?: OptimizerOptions["learningRate"];
  /** Decay of the first-moment average m, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay of the second-moment average v, in [0, 1); default 0.999. */
  beta2?: number;
  /** ε̂ added to √v, > 0; default 1e-7 (Keras). */
  epsilon?: number;
  /** Use the AMSGrad variant (Reddi et al., 2018); default false. */
  amsgrad?: boolean;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  /** `className` and `ownOptions` are for subclasses (AdamW): its name in messages, its extra option names. */
  constructor(options: AdamOptions = {}, className = "Adam", ownOptions: readonly string[] = []) {
    super(className, options, 0.001, ["beta1", "beta2", "epsilon", "amsgrad", ...ownOptions]);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, amsgrad = false } = options;
    this.beta1 = fraction(className, "beta1", beta1);
    this.beta2 = fraction(className, "beta2", beta2);
    this.epsilon = positive(className, "epsilon", epsilon);
    this.amsgrad = flag(className, "amsgrad", amsgrad);
  }

  protected update(p: Param, lr: number): void {
    const w = p.value.data, g = p.grad.whole().data;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const t = this.iterations + 1;
    const alpha = (lr * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t));
    const [m, v, vMax] = this.slots(p);
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    }
    if (vMax) {
      for (let i = 0; i < w.length; i++) {
        vMax[i] = Math.max(vMax[i], v[i]);
        w[i] -= (alpha * m[i]) / (Math.sqrt(vMax[i]) + eps);
      }
    } else {
      for (let i = 0; i < w.length; i++) w[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  }

  get slotNames(): readonly string[] {
    return this.amsgrad ? ["m", "v", "vhat"] : ["m", "v"];
  }
}
