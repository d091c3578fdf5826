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
 * Saved for backward: the input x, z and y (and which columns of x are non-zero:
 * terms from all-zero columns are skipped in x·W and xᵀ·dz, since they add exactly 0).
 */
import { activeWasmKernel } from "../tensor/kernel.js";
import { heapInt32, inHeap } from "../tensor/heap.js";
import { Matrix, workspace, describe } from "../tensor/matrix.js";
import { checkOptions, optionNames } from "../tensor/names.js";
import { matmul, matmulTransA, matmulTransB, matmulSelectK, matmulTransASelectRows } from "../tensor/matmul.js";
import { addRowVector, sumRows, nonzeroColumns } from "../tensor/ops.js";
import { Layer, type Param, type BackwardOptions } from "./layer.js";
import { getActivation, type ActivationKernel, type ActivationName } from "./activations.js";
import { getInitializer, initializerName, type Initializer, type InitializerName } from "./initializers.js";
import { getRegularizer, type Regularizer, type RegularizerName } from "./regularizers.js";
import { RowGradientParam } from "./row-gradient.js";

/** Below this fraction of non-zero input columns, products skip the zero ones. */
const SPARSE_FRACTION = 0.8;

export interface DenseOptions {
  /** Input width, for the first layer (Keras `input_dim`). */
  inputDim?: number;
  /** Input shape without the batch axis, `[784]` (Keras `input_shape`); same as inputDim. */
  inputShape?: number[];
  /** Activation applied to x·W + b; default "linear" (none). */
  activation?: ActivationName;
  /** Whether to add a bias vector; default true. */
  useBias?: boolean;
  /**
   * Kernel initializer: a name from initializers.ts ("he_normal", "heNormal", ...)
   * or a function; default "glorot_uniform" (Keras; TensorFlow.js uses glorotNormal).
   */
  kernelInitializer?: InitializerName | Initializer;
  /** Bias initializer, a name or a function; default "zeros". */
  biasInitializer?: InitializerName | Initializer;
  /** Penalty on the kernel: "l1", "l2", "l1_l2" or l2(0.001) etc.; default none. */
  kernelRegularizer?: RegularizerName | Regularizer;
  /** Penalty on the bias, as kernelRegularizer; default none. */
  biasRegularizer?: RegularizerName | Regularizer;
  /** Layer name; default "dense", "dense_1", ... */
  name?: string;
}

const DENSE_OPTIONS = optionNames<DenseOptions>({
  inputDim: true, inputShape: true, activation: true, useBias: true, kernelInitializer: true, biasInitializer: true,
  kernelRegularizer: true, biasRegularizer: true, name: true,
});

export class Dense extends Layer {
  readonly className = "Dense";
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: ActivationKernel;
  /** The kernel initializer's name ("glorot_uniform"), or "custom" for a function. */
  readonly kernelInitializer: string;
  /** The bias initializer's name ("zeros"), or "custom" for a function. */
  readonly biasInitializer: string;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private kernel: RowGradientParam | undefined;
  private bias: Param | undefined;
  // Working buffers, sized on the first batch (see workspace()).
  private x: Matrix | undefined;
  private z: Matrix | undefined;
  private y: Matrix | undefined;
  private dz: Matrix | undefined;
  private dx: Matrix | undefined;
  // Input columns that are non-zero in this batch (sparse inputs such as MNIST pixels), see forward.
  private cols: Int32Array | undefined;
  private colCount = 0;
  private dWRows: Matrix | undefined;

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
    this.kernel = new RowGradientParam(w);
    if (this.useBias) {
      const b = new Matrix(1, this.units);
      this.biasInit(b, this.units, this.units); // a 1-D weight: fanIn = fanOut = units, as Keras
      this.bias = { name: "bias", value: b, grad: new Matrix(1, this.units) };
    }
    this.outputDim = this.units;
    return this.units;
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const W = this.mustBeBuilt().value;
    const n = x.rows;
    this.x = x;
    const z = (this.z = workspace(this.z, n, this.units));
    // When many input columns are 0 in every row of the batch (an MNIST batch of 32 leaves
    // ~42% of its pixels black in all images), sum only over the others: same result, fewer flops.
    const cols = (this.cols ??= heapInt32(x.cols) ?? new Int32Array(x.cols)); // in the heap, for the SIMD kernel
    this.colCount = nonzeroColumns(x, cols);
    if (this.colCount < SPARSE_FRACTION * x.cols) matmulSelectK(z, x, W, cols.subarray(0, this.colCount));
    else matmul(z, x, W);
    // With the SIMD kernel, bias and relu are one pass over z (the fused epilogue,
    // tensor/wasm/epilogue.ts), in place: relu's backward reads only y, so y can be z.
    const act = this.activation.name;
    const simd = activeWasmKernel();
    const bias = this.bias?.value.data;
    if (simd && (act === "linear" || act === "relu") && inHeap(z.data) && (bias === undefined || inHeap(bias))) {
      simd.biasActivation(z.data.byteOffset, this.units, n, this.units, bias === undefined ? -1 : bias.byteOffset, act === "relu" ? 1 : 0);
      return (this.y = z);
    }
    if (this.bias) addRowVector(z, z, this.bias.value);
    if (act === "linear") return (this.y = z);
    const y = (this.y = workspace(this.y === z ? undefined : this.y, n, this.units));
    this.activation.forward(y.data, z.data, n, this.units);
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
      this.activation.backward(dz.data, dy.data, z.data, y.data, n, this.units);
    }
    if (this.cols && this.colCount < SPARSE_FRACTION * x.cols) {
      // dW rows of all-zero input columns are 0: compute the others, and keep dW as those
      // rows (row-gradient.ts); it is written out whole only for whoever reads kernel.grad.
      const cols = this.cols.subarray(0, this.colCount);
      const rows = (this.dWRows = workspace(this.dWRows, cols.length, this.units));
      matmulTransASelectRows(rows, x, dz, cols);
      kernel.setRows(rows, cols);
    } else {
      matmulTransA(kernel.denseForWriting(), x, dz);
    }
    if (this.bias) sumRows(this.bias.grad, dz);
    if (this.kernelRegularizer) this.kernelRegularizer.addGradient(kernel.grad, kernel.value);
    if (this.bias && this.biasRegularizer) this.biasRegularizer.addGradient(this.bias.grad, this.bias.value);
    if (!needInputGradient) return null;
    const dx = (this.dx = workspace(this.dx, n, kernel.value.rows));
    matmulTransB(dx, dz, kernel.value);
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

  override get finalActivation(): ActivationKernel {
    return this.activation;
  }

  toString(): string {
    return `Dense(${this.units})`;
  }

  private mustBeBuilt(): RowGradientParam {
    if (!this.kernel) throw new Error(`${this} is not built yet: its input width is unknown`);
    return this.kernel;
  }
}

/** inputDim and inputShape say the same thing; accept either, check both. */
export function resolveInputDim(
  who: string, inputDim: number | undefined, inputShape: number[] | undefined,
): number | undefined {
  if (inputDim !== undefined && (!Number.isInteger(inputDim) || inputDim <= 0)) {
    throw new Error(`${who} inputDim must be a positive integer, got ${describe(inputDim)}`);
  }
  if (inputShape === undefined) return inputDim;
  if (!Array.isArray(inputShape) || inputShape.length !== 1 || !Number.isInteger(inputShape[0]) || inputShape[0] <= 0) {
    throw new Error(`${who} inputShape must be [width] with a positive integer width, got ${JSON.stringify(inputShape)}`);
  }
  if (inputDim !== undefined && inputDim !== inputShape[0]) {
    throw new Error(`${who} got inputDim ${inputDim} and inputShape [${inputShape[0]}], which disagree`);
  }
  return inputShape[0];
}
