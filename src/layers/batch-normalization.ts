/**
 * BatchNormalization (Keras's `BatchNormalization()`), over the feature axis:
 * each of the c columns is normalized with its own statistics, then scaled
 * and shifted by learned γ and β (Ioffe & Szegedy, 2015).
 *
 * Legend:  n rows in the batch, c features.
 *   x, y, dy, dx: (n, c)     γ (gamma), β (beta), moving mean m, moving variance v: (1, c)
 *
 *   training (fit):  the batch's own statistics, per column j
 *     μ_j  = (1/n) Σ_i x_ij
 *     σ²_j = (1/n) Σ_i (x_ij − μ_j)²          (biased: divides by n, as Keras 3 and TensorFlow.js)
 *     r_j  = 1 / √(σ²_j + ε)
 *     x̂_ij = (x_ij − μ_j) · r_j
 *     y_ij = γ_j · x̂_ij + β_j
 *     and the moving averages follow the batch statistics:
 *     m ← m · momentum + μ · (1 − momentum)      v ← v · momentum + σ² · (1 − momentum)
 *
 *   inference (evaluate, predict):  the moving averages instead
 *     r_j  = 1 / √(v_j + ε),   x̂_ij = (x_ij − m_j) · r_j,   y_ij = γ_j · x̂_ij + β_j
 *
 *   backward, training (μ and σ² depend on every x_ij of the column):
 *     dβ_j  = Σ_i dy_ij
 *     dγ_j  = Σ_i dy_ij · x̂_ij
 *     dx_ij = γ_j · r_j · (dy_ij − dβ_j / n − x̂_ij · dγ_j / n)
 *   which is the chain rule through x̂ = (x − μ)·r with
 *     ∂x̂_kj/∂x_ij = r_j · (δ_ki − 1/n − x̂_kj · x̂_ij / n).
 *   backward, inference (m and v are constants):
 *     dx_ij = γ_j · r_j · dy_ij,   dγ and dβ as above.
 *
 * Saved for backward: the input x, the statistics used (μ_j or m_j, and r_j,
 * in float64) and which mode ran; x̂ is recomputed from them.
 *
 * center: false drops β (y = γ·x̂), scale: false drops γ (γ = 1). Weights in
 * Keras's order: gamma, beta (trainable), moving_mean, moving_variance (not).
 */
import { Matrix, workspace, describe } from "../tensor/matrix.js";
import { Layer, Param, type BackwardOptions } from "./layer.js";
import { getInitializer, type Initializer, type InitializerName } from "./initializers.js";
import { getRegularizer, type Regularizer, type RegularizerName } from "./regularizers.js";
import { resolveInputDim } from "./layer.js";
import { checkOptions, optionNames } from "../tensor/names.js";

export interface BatchNormalizationOptions {
  /** Weight of the old value in the moving averages; default 0.99. */
  momentum?: number;
  /** Added to the variance before the square root; default 1e-3. */
  epsilon?: number;
  /** Learn an offset β; default true. */
  center?: boolean;
  /** Learn a scale γ; default true. */
  scale?: boolean;
  /** Initializer of β; default "zeros". */
  betaInitializer?: InitializerName | Initializer;
  /** Initializer of γ; default "ones". */
  gammaInitializer?: InitializerName | Initializer;
  /** Initializer of the moving mean; default "zeros". */
  movingMeanInitializer?: InitializerName | Initializer;
  /** Initializer of the moving variance; default "ones". */
  movingVarianceInitializer?: InitializerName | Initializer;
  /** Penalty on β ("l1", "l2", "l1_l2" or an object); default none. */
  betaRegularizer?: RegularizerName | Regularizer;
  /** Penalty on γ; default none. */
  gammaRegularizer?: RegularizerName | Regularizer;
  /** Input width, when this is the first layer. */
  inputDim?: number;
  /** Input shape without the batch axis, `[784]`; same as inputDim. */
  inputShape?: number[];
  /** Layer name; default "batch_normalization", "batch_normalization_1", ... */
  name?: string;
}

const BATCH_NORMALIZATION_OPTIONS = optionNames<BatchNormalizationOptions>({
  momentum: true, epsilon: true, center: true, scale: true, betaInitializer: true, gammaInitializer: true,
  movingMeanInitializer: true, movingVarianceInitializer: true, betaRegularizer: true, gammaRegularizer: true,
  inputDim: true, inputShape: true, name: true,
});

export class BatchNormalization extends Layer {
  readonly className = "BatchNormalization";
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly gammaRegularizer: Regularizer | undefined;
  readonly betaRegularizer: Regularizer | undefined;
  private readonly inits: { gamma: Initializer; beta: Initializer; movingMean: Initializer; movingVariance: Initializer };
  private gamma: Param | undefined;
  private beta: Param | undefined;
  private movingMeanW: Param | undefined;
  private movingVarianceW: Param | undefined;
  // Per-column statistics of the last forward, float64, sized at build.
  private mu = new Float64Array(0);
  private r = new Float64Array(0);
  private sumDy = new Float64Array(0);
  private sumDyXhat = new Float64Array(0);
  private training = false;
  private x: Matrix | undefined;
  private y: Matrix | undefined;
  private dx: Matrix | undefined;

  protected override readonly flatRows = true; // normalizes each column; Keras normalizes an image's channels

  constructor(options?: BatchNormalizationOptions) {
    const {
      momentum = 0.99, epsilon = 1e-3, center = true, scale = true,
      betaInitializer = "zeros", gammaInitializer = "ones",
      movingMeanInitializer = "zeros", movingVarianceInitializer = "ones",
      betaRegularizer, gammaRegularizer, inputDim, inputShape, name,
    } = checkOptions("BatchNormalization", options, BATCH_NORMALIZATION_OPTIONS);
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
      throw new Error(`BatchNormalization momentum must be a number in [0, 1], got ${describe(momentum)}`);
    }
    if (typeof epsilon !== "number" || !(epsilon > 0 && Number.isFinite(epsilon))) {
      throw new Error(`BatchNormalization epsilon must be a positive number, got ${describe(epsilon)}`);
    }
    if (typeof center !== "boolean") throw new Error(`BatchNormalization center must be true or false, got ${describe(center)}`);
    if (typeof scale !== "boolean") throw new Error(`BatchNormalization scale must be true or false, got ${describe(scale)}`);
    super(name, "batch_normalization");
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.center = center;
    this.scale = scale;
    this.inits = {
      gamma: getInitializer(gammaInitializer),
      beta: getInitializer(betaInitializer),
      movingMean: getInitializer(movingMeanInitializer),
      movingVariance: getInitializer(movingVarianceInitializer),
    };
    this.gammaRegularizer = getRegularizer(gammaRegularizer, "BatchNormalization gammaRegularizer");
    this.betaRegularizer = getRegularizer(betaRegularizer, "BatchNormalization betaRegularizer");
    this.inputDim = resolveInputDim("BatchNormalization", inputDim, inputShape);
  }

  protected override widthFor(inputDim: number): number {
    return inputDim;
  }

  override build(inputDim: number): number {
    this.outputDimFor(inputDim);
    const c = inputDim;
    // Each weight is a vector of c values: fanIn = fanOut = c, as Keras.
    const vector = (init: Initializer): Matrix => {
      const m = new Matrix(1, c);
      init(m, c, c);
      return m;
    };
    if (this.scale) this.gamma = new Param("gamma", vector(this.inits.gamma));
    if (this.center) this.beta = new Param("beta", vector(this.inits.beta));
    this.movingMeanW = new Param("moving_mean", vector(this.inits.movingMean), false);
    this.movingVarianceW = new Param("moving_variance", vector(this.inits.movingVariance), false);
    this.mu = new Float64Array(c);
    this.r = new Float64Array(c);
    this.sumDy = new Float64Array(c);
    this.sumDyXhat = new Float64Array(c);
    this.inputDim = c;
    this.outputDim = c;
    return c;
  }

  /** The moving mean m, (1, c). */
  get movingMean(): Matrix {
    return this.mustBeBuilt().movingMean;
  }

  /** The moving variance v, (1, c). */
  get movingVariance(): Matrix {
    return this.mustBeBuilt().movingVariance;
  }

  forward(x: Matrix, training: boolean): Matrix {
    const { movingMean, movingVariance } = this.mustBeBuilt();
    const n = x.rows, c = x.cols;
    if (c !== this.outputDim) throw new Error(`${this} expects input of ${this.outputDim} columns, got ${x.shapeString}`);
    const { mu, r, epsilon: eps } = this;
    if (training) {
      this.batchStatistics(x); // μ in mu, σ² in r
      const m = movingMean.data, v = movingVariance.data, keep = this.momentum;
      for (let j = 0; j < c; j++) {
        m[j] = m[j] * keep + mu[j] * (1 - keep);
        v[j] = v[j] * keep + r[j] * (1 - keep);
        r[j] = 1 / Math.sqrt(r[j] + eps);
      }
    } else {
      for (let j = 0; j < c; j++) {
        mu[j] = movingMean.data[j];
        r[j] = 1 / Math.sqrt(movingVariance.data[j] + eps);
      }
    }
    this.training = training;
    this.x = x;
    const y = (this.y = workspace(this.y, n, c));
    const g = this.gamma?.value.data, b = this.beta?.value.data;
    const xd = x.data, yd = y.data;
    for (let i = 0; i < n; i++) {
      const row = i * c;
      for (let j = 0; j < c; j++) {
        const xhat = (xd[row + j] - mu[j]) * r[j];
        yd[row + j] = (g ? g[j] * xhat : xhat) + (b ? b[j] : 0);
      }
    }
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    const { needInputGradient = true } = options;
    this.mustBeBuilt();
    const x = this.x;
    if (!x) throw new Error(`${this}.backward called before forward`);
    if (dy.rows !== x.rows || dy.cols !== x.cols) {
      throw new Error(`${this}.backward expects dy of the last forward's shape ${x.shapeString}, got ${dy.shapeString}`);
    }
    const n = x.rows, c = x.cols;
    const { mu, r, sumDy, sumDyXhat } = this;
    const xd = x.data, g = dy.data;
    sumDy.fill(0);
    sumDyXhat.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * c;
      for (let j = 0; j < c; j++) {
        sumDy[j] += g[row + j];
        sumDyXhat[j] += g[row + j] * (xd[row + j] - mu[j]) * r[j];
      }
    }
    if (this.beta) {
      this.beta.grad.wholeForWriting().data.set(sumDy.subarray(0, c));
      this.betaRegularizer?.addGradient(this.beta.grad.whole(), this.beta.value);
    }
    if (this.gamma) {
      this.gamma.grad.wholeForWriting().data.set(sumDyXhat.subarray(0, c));
      this.gammaRegularizer?.addGradient(this.gamma.grad.whole(), this.gamma.value);
    }
    if (!needInputGradient) return null;
    const dx = (this.dx = workspace(this.dx, n, c));
    const gam = this.gamma?.value.data, d = dx.data;
    for (let i = 0; i < n; i++) {
      const row = i * c;
      for (let j = 0; j < c; j++) {
        const k = (gam ? gam[j] : 1) * r[j];
        if (!this.training) {
          d[row + j] = k * g[row + j];
        } else {
          const xhat = (xd[row + j] - mu[j]) * r[j];
          d[row + j] = k * (g[row + j] - sumDy[j] / n - (xhat * sumDyXhat[j]) / n);
        }
      }
    }
    return dx;
  }

  override params(): Param[] {
    const ps: Param[] = [];
    if (this.gamma) ps.push(this.gamma);
    if (this.beta) ps.push(this.beta);
    return ps;
  }

  override weights(): Param[] {
    if (!this.movingMeanW || !this.movingVarianceW) return [];
    return [...this.params(), this.movingMeanW, this.movingVarianceW];
  }

  override regularizationLoss(): number {
    let loss = 0;
    if (this.gamma && this.gammaRegularizer) loss += this.gammaRegularizer.loss(this.gamma.value);
    if (this.beta && this.betaRegularizer) loss += this.betaRegularizer.loss(this.beta.value);
    return loss;
  }

  toString(): string {
    return "BatchNormalization()";
  }

  /** Column means into mu and biased variances into r (two passes, float64). */
  private batchStatistics(x: Matrix): void {
    const n = x.rows, c = x.cols, xd = x.data, { mu, r } = this;
    mu.fill(0);
    r.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) mu[j] += xd[i * c + j];
    for (let j = 0; j < c; j++) mu[j] /= n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        const d = xd[i * c + j] - mu[j];
        r[j] += d * d;
      }
    }
    for (let j = 0; j < c; j++) r[j] /= n;
  }

  private mustBeBuilt(): { movingMean: Matrix; movingVariance: Matrix } {
    if (!this.movingMeanW || !this.movingVarianceW) {
      throw new Error(`${this} is not built yet: its input width is unknown`);
    }
    return { movingMean: this.movingMeanW.value, movingVariance: this.movingVarianceW.value };
  }
}
