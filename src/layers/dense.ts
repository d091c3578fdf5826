/**
 * Dense: a fully connected layer, with an optional activation (Keras's
 * `Dense(units, activation=...)`).
 *
 * Legend:  n rows in the batch, din inputs, dout = units.
 *   x: (n, din)   W: (din, dout)   b: (1, dout)   z, y: (n, dout)
 *   forward:   z  = x·W + b          y = f(z)
 *   backward:  dz = f′(dy)           (the activation's backward; skipped when
 *                                     dy is already dz, see BackwardOptions)
 *              dW = xᵀ·dz            db = Σ_rows dz          dx = dz·Wᵀ
 * With regularizers (Keras's kernel_regularizer, bias_regularizer) the loss
 * gains R_W(W) + R_b(b), reported by regularizationLoss(), and backward adds
 *              dW += ∂R_W/∂W         db += ∂R_b/∂b           (regularizers.ts)
 * Saved for backward: the input x, z and y. Each line is one call to the
 * backend (tensor/backend.ts), which may compute it faster than its formula
 * reads — skipping all-zero columns of x, keeping dW as its non-zero rows —
 * but never differently.
 */
import { Matrix, workspace, describe } from "../tensor/matrix.js";
import { checkOptions } from "../tensor/names.js";
import { backend } from "../tensor/backend.js";
import { Param } from "../tensor/parameter.js";
import { Layer, resolveInputDim, type BackwardOptions } from "./layer.js";
import { DENSE_OPTIONS, type DenseOptions } from "./dense-options.js";
import { getActivation, type ActivationFunction } from "./activations.js";
import { getInitializer, initializerName, type Initializer } from "./initializers.js";
import { getRegularizer, type Regularizer } from "./regularizers.js";
export type { DenseOptions } from "./dense-options.js";

export class Dense extends Layer {
  readonly className = "Dense";
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: ActivationFunction;
  /** The kernel initializer's name ("glorot_uniform"), or "custom" for a function. */
  readonly kernelInitializer: string;
  /** The bias initializer's name ("zeros"), or "custom" for a function. */
  readonly biasInitializer: string;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private kernel: Param | undefined;
  private bias: Param | undefined;
  // Working buffers, sized on the first batch (see workspace()).
  private x: Matrix | undefined;
  private z: Matrix | undefined;
  private y: Matrix | undefined;
  private dz: Matrix | undefined;
  private dx: Matrix | undefined;
  protected override readonly flatRows = true;

  constructor(units: number, options?: DenseOptions) {
    const {
      inputDim, inputShape, activation = "linear", useBias = true,
      kernelInitializer = "glorot_uniform", biasInitializer = "zeros", kernelRegularizer, biasRegularizer, name,
    } = checkOptions(`Dense(${units})`, options, DENSE_OPTIONS);
    if (!Number.isInteger(units) || units <= 0) {
      throw new Error(`Dense units must be a positive integer, got ${describe(units)}`);
    }
    super(name, "dense");
    this.units = units;
    this.useBias = useBias;
    this.activation = getActivation(activation);
    this.kernelInit = getInitializer(kernelInitializer);
    this.biasInit = getInitializer(biasInitializer);
    this.kernelInitializer = initializerName(this.kernelInit);
    this.biasInitializer = initializerName(this.biasInit);
    this.kernelRegularizer = getRegularizer(kernelRegularizer, `Dense(${units}) kernelRegularizer`);
    this.biasRegularizer = getRegularizer(biasRegularizer, `Dense(${units}) biasRegularizer`);
    this.inputDim = resolveInputDim(`Dense(${units})`, inputDim, inputShape);
  }

  protected override widthFor(_inputDim: number): number {
    return this.units;
  }

  override build(inputDim: number): number {
    this.outputDimFor(inputDim);
    this.inputDim = inputDim;
    const w = new Matrix(inputDim, this.units);
    this.kernelInit(w, inputDim, this.units);
    this.kernel = new Param("kernel", w);
    if (this.useBias) {
      const b = new Matrix(1, this.units);
      this.biasInit(b, this.units, this.units); // a 1-D weight: fanIn = fanOut = units, as Keras
      this.bias = new Param("bias", b);
    }
    this.outputDim = this.units;
    return this.units;
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const W = this.mustBeBuilt().value;
    const n = x.rows;
    this.x = x;
    const z = (this.z = workspace(this.z, n, this.units));
    backend().affine(z, x, W, this.bias?.value); // z = x·W + b
    if (this.activation.name === "linear") return (this.y = z);
    const y = (this.y = workspace(this.y, n, this.units));
    this.activation.forward(y.data, z.data, n, this.units); // y = f(z)
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    const { fromPreActivation = false, needInputGradient = true } = options;
    const kernel = this.mustBeBuilt();
    const { x, z, y } = this;
    if (!x || !z || !y) throw new Error(`${this}.backward called before forward`);
    const n = dy.rows;
    let dz = dy;
    if (!fromPreActivation && this.activation.name !== "linear") {
      dz = this.dz = workspace(this.dz, n, this.units);
      this.activation.backward(dz.data, dy.data, z.data, y.data, n, this.units); // dz = f′(dy)
    }
    backend().weightGradient(kernel.grad, x, dz); // dW = xᵀ·dz
    if (this.bias) backend().columnSums(this.bias.grad.wholeForWriting(), dz); // db = Σ_rows dz
    if (this.kernelRegularizer) this.kernelRegularizer.addGradient(kernel.grad.whole(), kernel.value);
    if (this.bias && this.biasRegularizer) this.biasRegularizer.addGradient(this.bias.grad.whole(), this.bias.value);
    if (!needInputGradient) return null;
    const dx = (this.dx = workspace(this.dx, n, kernel.value.rows));
    backend().matmulTransB(dx, dz, kernel.value); // dx = dz·Wᵀ
    return dx;
  }

  override params(): Param[] {
    if (!this.kernel) return [];
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }

  override regularizationLoss(): number {
    let loss = 0;
    if (this.kernel && this.kernelRegularizer) loss += this.kernelRegularizer.loss(this.kernel.value);
    if (this.bias && this.biasRegularizer) loss += this.biasRegularizer.loss(this.bias.value);
    return loss;
  }

  override get finalActivation(): ActivationFunction {
    return this.activation;
  }

  toString(): string {
    return `Dense(${this.units})`;
  }

  private mustBeBuilt(): Param {
    if (!this.kernel) throw new Error(`${this} is not built yet: its input width is unknown`);
    return this.kernel;
  }
}
