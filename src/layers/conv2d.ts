/**
 * Conv2D: a 2-D convolution over images, channels-last (Keras's
 * `Conv2D(filters, kernel_size, strides, padding, activation=...)`).
 *
 * Legend:  n images in the batch, each h x w x c (a row of x, in (h, w, c)
 * order); f = filters; the window kh x kw at strides (sh, sw) gives an
 * oh x ow output (conv-geometry.ts says how, for "valid" and "same").
 *   x: (n, h·w·c)   K: (kh·kw·c, f) = Keras's [kh, kw, c, f]   b: (1, f)   z, y: (n, oh·ow·f)
 *   forward:   z(n, i, j, o) = b(o) + Σ_{p,q,c} x(n, i·sh + p − padTop, j·sw + q − padLeft, c) · K(p, q, c, o)
 *              y = f(z)
 *   backward:  dz = f′(dy)      (skipped when dy is already dz, see BackwardOptions)
 *              dK(p, q, c, o) = Σ_{n,i,j} x(n, i·sh + p − padTop, j·sw + q − padLeft, c) · dz(n, i, j, o)
 *              db(o) = Σ_{n,i,j} dz(n, i, j, o)
 *              dx = the forward's transpose: each pixel gathers dz·Kᵀ from every window that read it
 * With regularizers the loss gains R_K(K) + R_b(b), as in Dense.
 * Saved for backward: x, z and y. Each line is one call to the backend: the
 * reference runs the sums as loops (conv-reference.ts), the fast backends as
 * one product over the whole batch (conv-fast.ts).
 */
import { Matrix, workspace, describe } from "../tensor/matrix.js";
import { checkOptions } from "../tensor/names.js";
import { backend } from "../tensor/backend.js";
import { Param } from "../tensor/parameter.js";
import { windowGeometry, type WindowGeometry, type Padding } from "../tensor/conv-geometry.js";
import { Layer, shapeSize, type BackwardOptions } from "./layer.js";
import { CONV2D_OPTIONS, pair, padding, imageShape, checkImageInput, type Conv2DOptions } from "./conv-options.js";
import { getActivation, type ActivationFunction } from "./activations.js";
import { getInitializer, initializerName, type Initializer } from "./initializers.js";
import { getRegularizer, type Regularizer } from "./regularizers.js";

export type { Conv2DOptions } from "./conv-options.js";

export class Conv2D extends Layer {
  readonly className = "Conv2D";
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly useBias: boolean;
  readonly activation: ActivationFunction;
  /** The initializers' names ("glorot_uniform", "zeros"), or "custom" for a function. */
  readonly kernelInitializer: string;
  readonly biasInitializer: string;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private kernel: Param | undefined;
  private bias: Param | undefined;
  private geometry: WindowGeometry | undefined;
  // Working buffers, sized on the first batch (see workspace()).
  private x: Matrix | undefined;
  private z: Matrix | undefined;
  private y: Matrix | undefined;
  private dz: Matrix | undefined;
  private dx: Matrix | undefined;

  constructor(filters: number, options: Conv2DOptions) {
    const who = `Conv2D(${filters})`;
    const {
      kernelSize, strides = 1, padding: pad = "valid", activation = "linear", useBias = true, kernelInitializer = "glorot_uniform",
      biasInitializer = "zeros", kernelRegularizer, biasRegularizer, inputShape, name,
    } = checkOptions(who, options, CONV2D_OPTIONS, { required: true, example: "{ kernelSize: 3 }" });
    if (!Number.isInteger(filters) || filters <= 0) throw new Error(`Conv2D filters must be a positive integer, got ${describe(filters)}`);
    if (kernelSize === undefined) throw new Error(`${who} needs kernelSize, the window's height and width, such as { kernelSize: 3 } or [3, 3]`);
    super(name, "conv2d");
    this.filters = filters;
    this.kernelSize = pair(who, "kernelSize", kernelSize);
    this.strides = pair(who, "strides", strides);
    this.padding = padding(who, pad);
    this.useBias = useBias;
    this.activation = getActivation(activation);
    this.kernelInit = getInitializer(kernelInitializer);
    this.biasInit = getInitializer(biasInitializer);
    this.kernelInitializer = initializerName(this.kernelInit);
    this.biasInitializer = initializerName(this.biasInit);
    this.kernelRegularizer = getRegularizer(kernelRegularizer, `${who} kernelRegularizer`);
    this.biasRegularizer = getRegularizer(biasRegularizer, `${who} biasRegularizer`);
    if (inputShape !== undefined) {
      this.inputShape = imageShape(who, inputShape);
      this.outputShapeFor(this.inputShape); // a kernel larger than the image fails here, not at the first batch
      this.inputDim = shapeSize(this.inputShape);
    }
  }

  /** (oh, ow, filters) for images of shape (h, w, c). */
  override outputShapeFor(shape: readonly number[]): number[] {
    checkImageInput(`${this}`, shape, this.inputShape, this.kernelSize, this.padding, "kernelSize");
    const g = windowGeometry(shape, this.kernelSize, this.strides, this.padding);
    return [g.oh, g.ow, this.filters];
  }

  protected override widthFor(_inputDim: number): number {
    return shapeSize(this.outputShapeFor(this.imageShape()));
  }

  override build(inputDim: number): number {
    const shape = this.imageShape();
    this.outputDimFor(inputDim);
    const g = (this.geometry = windowGeometry(shape, this.kernelSize, this.strides, this.padding));
    const window = g.kh * g.kw;
    const K = new Matrix(window * g.c, this.filters);
    this.kernelInit(K, window * g.c, window * this.filters); // Keras's fans for a conv kernel
    this.kernel = new Param("kernel", K, true, [g.kh, g.kw, g.c, this.filters]);
    if (this.useBias) {
      const b = new Matrix(1, this.filters);
      this.biasInit(b, this.filters, this.filters);
      this.bias = new Param("bias", b);
    }
    this.inputDim = inputDim;
    this.outputDim = g.oh * g.ow * this.filters;
    return this.outputDim;
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const { K, g } = this.mustBeBuilt();
    const n = x.rows, width = this.outputDim as number;
    this.x = x;
    const z = (this.z = workspace(this.z, n, width));
    backend().conv2d(z, x, K, this.bias?.value, g); // z = x ⋆ K + b
    if (this.activation.name === "linear") return (this.y = z);
    const y = (this.y = workspace(this.y, n, width));
    this.activation.forward(y.data, z.data, n, width); // y = f(z)
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    const { fromPreActivation = false, needInputGradient = true } = options;
    const { K, g } = this.mustBeBuilt();
    const { x, z, y } = this;
    if (!x || !z || !y) throw new Error(`${this}.backward called before forward`);
    const n = dy.rows, width = this.outputDim as number;
    let dz = dy;
    if (!fromPreActivation && this.activation.name !== "linear") {
      dz = this.dz = workspace(this.dz, n, width);
      this.activation.backward(dz.data, dy.data, z.data, y.data, n, width); // dz = f′(dy)
    }
    const kernel = this.kernel as Param;
    backend().conv2dWeightGradients(kernel.grad.wholeForWriting(), this.bias?.grad.wholeForWriting(), x, dz, g); // dK = Σ window·dz, db = Σ dz
    if (this.kernelRegularizer) this.kernelRegularizer.addGradient(kernel.grad.whole(), K);
    if (this.bias && this.biasRegularizer) this.biasRegularizer.addGradient(this.bias.grad.whole(), this.bias.value);
    if (!needInputGradient) return null;
    const dx = (this.dx = workspace(this.dx, n, this.inputDim as number));
    backend().conv2dInputGradient(dx, dz, K, g); // dx = dz ⋆ᵀ K
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
    return `Conv2D(${this.filters})`;
  }

  private imageShape(): number[] {
    if (this.inputShape === undefined) {
      throw new Error(`${this} needs the shape of its input images: give the first layer inputShape: [height, width, channels]`);
    }
    return this.inputShape;
  }

  private mustBeBuilt(): { K: Matrix; g: WindowGeometry } {
    if (!this.kernel || !this.geometry) throw new Error(`${this} is not built yet: the shape of its input images is unknown`);
    return { K: this.kernel.value, g: this.geometry };
  }
}
