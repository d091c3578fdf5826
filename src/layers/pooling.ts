/**
 * Pooling over images, channel by channel (Keras's MaxPooling2D,
 * AveragePooling2D and GlobalAveragePooling2D). No weights.
 *
 * Legend:  n images, each h x w x c (a row of x, in (h, w, c) order); a
 * window of kh x kw = poolSize at strides (sh, sw) (default: poolSize, windows
 * side by side) gives an oh x ow x c output (conv-geometry.ts).
 *   MaxPooling2D:      y(n, i, j, c) = max of x(n, ·, ·, c) over window (i, j)
 *                      dx = dy routed to the pixel that was the max   (saved: where it was)
 *   AveragePooling2D:  y(n, i, j, c) = mean of x(n, ·, ·, c) over window (i, j)'s pixels
 *                      inside the image (padding "same" leaves the others out)
 *                      dx(pixel) = Σ over windows holding it of dy / (the window's pixel count)
 *   GlobalAveragePooling2D: the mean over the whole image, y(n, c) = (1/hw) Σ_{ih,iw} x(n, ih, iw, c):
 *                      an AveragePooling2D whose window is the image.
 * The loops are in conv-reference.ts.
 */
import { Matrix, workspace } from "../tensor/matrix.js";
import { allocInt32 } from "../tensor/alloc.js";
import { checkOptions, optionNames } from "../tensor/names.js";
import { backend } from "../tensor/backend.js";
import { windowGeometry, type WindowGeometry, type Padding } from "../tensor/conv-geometry.js";
import { Layer, shapeSize, type BackwardOptions } from "./layer.js";
import { POOLING2D_OPTIONS, pair, padding, imageShape, checkImageInput, type Pooling2DOptions } from "./conv-options.js";

export type { Pooling2DOptions } from "./conv-options.js";

/** What MaxPooling2D and AveragePooling2D share: the window, the shapes, the buffers. */
abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  protected geometry: WindowGeometry | undefined;
  protected y: Matrix | undefined;
  protected dx: Matrix | undefined;

  constructor(kind: string, prefix: string, options: Pooling2DOptions | undefined) {
    const { poolSize = 2, strides, padding: pad = "valid", inputShape, name } = checkOptions(kind, options, POOLING2D_OPTIONS);
    super(name, prefix);
    this.poolSize = pair(kind, "poolSize", poolSize);
    this.strides = strides === undefined ? this.poolSize : pair(kind, "strides", strides);
    this.padding = padding(kind, pad);
    if (inputShape !== undefined) {
      this.inputShape = imageShape(kind, inputShape);
      this.outputShapeFor(this.inputShape);
      this.inputDim = shapeSize(this.inputShape);
    }
  }

  /** (oh, ow, c) for images of shape (h, w, c). */
  override outputShapeFor(shape: readonly number[]): number[] {
    checkImageInput(`${this}`, shape, this.inputShape, this.poolSize, this.padding, "poolSize");
    const g = windowGeometry(shape, this.poolSize, this.strides, this.padding);
    return [g.oh, g.ow, g.c];
  }

  protected override widthFor(_inputDim: number): number {
    if (this.inputShape === undefined) throw new Error(`${this} needs the shape of its input images: give the first layer inputShape: [height, width, channels]`);
    return shapeSize(this.outputShapeFor(this.inputShape));
  }

  override build(inputDim: number): number {
    this.outputDim = this.outputDimFor(inputDim);
    this.inputDim = inputDim;
    this.geometry = windowGeometry(this.inputShape as number[], this.poolSize, this.strides, this.padding);
    return this.outputDim;
  }

  protected mustBeBuilt(): WindowGeometry {
    if (this.geometry === undefined) throw new Error(`${this} is not built yet: the shape of its input images is unknown`);
    return this.geometry;
  }

  toString(): string {
    return `${this.className}([${this.poolSize.join(", ")}])`;
  }
}

export class MaxPooling2D extends Pooling2D {
  readonly className = "MaxPooling2D";
  /** For each output value, the index in x.data of the max it took (saved for backward). */
  private at: Int32Array = new Int32Array(0);

  constructor(options?: Pooling2DOptions) {
    super("MaxPooling2D", "max_pooling2d", options);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const g = this.mustBeBuilt();
    const y = (this.y = workspace(this.y, x.rows, this.outputDim as number));
    if (this.at.length < y.data.length) this.at = allocInt32(y.data.length);
    backend().maxPool(y, this.at, x, g); // y = max over each window
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    if (options.needInputGradient === false) return null;
    const dx = (this.dx = workspace(this.dx, dy.rows, this.inputDim as number));
    backend().maxPoolBackward(dx, dy, this.at); // dx = dy at the max's pixel, 0 elsewhere
    return dx;
  }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = "AveragePooling2D";

  constructor(options?: Pooling2DOptions) {
    super("AveragePooling2D", "average_pooling2d", options);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const g = this.mustBeBuilt();
    const y = (this.y = workspace(this.y, x.rows, this.outputDim as number));
    backend().avgPool(y, x, g); // y = mean over each window
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    if (options.needInputGradient === false) return null;
    const dx = (this.dx = workspace(this.dx, dy.rows, this.inputDim as number));
    backend().avgPoolBackward(dx, dy, this.mustBeBuilt()); // dx = each window's dy shared among its pixels
    return dx;
  }
}

export interface GlobalAveragePooling2DOptions {
  /** The shape of one input image, [height, width, channels], for the first layer. */
  inputShape?: number[];
  /** Layer name; default "global_average_pooling2d", ... */
  name?: string;
}

const GLOBAL_OPTIONS = optionNames<GlobalAveragePooling2DOptions>({ inputShape: true, name: true });

/** The mean of each channel over the image: (h, w, c) → (c). Keras's default keepdims=False. */
export class GlobalAveragePooling2D extends Layer {
  readonly className = "GlobalAveragePooling2D";
  private geometry: WindowGeometry | undefined;
  private y: Matrix | undefined;
  private dx: Matrix | undefined;

  constructor(options?: GlobalAveragePooling2DOptions) {
    const { inputShape, name } = checkOptions("GlobalAveragePooling2D", options, GLOBAL_OPTIONS);
    super(name, "global_average_pooling2d");
    if (inputShape !== undefined) {
      this.inputShape = imageShape("GlobalAveragePooling2D", inputShape);
      this.inputDim = shapeSize(this.inputShape);
    }
  }

  override outputShapeFor(shape: readonly number[]): number[] {
    checkImageInput(`${this}`, shape, this.inputShape, [1, 1], "valid", "window");
    return [shape[2]];
  }

  protected override widthFor(_inputDim: number): number {
    if (this.inputShape === undefined) throw new Error(`${this} needs the shape of its input images: give the first layer inputShape: [height, width, channels]`);
    return this.inputShape[2];
  }

  override build(inputDim: number): number {
    const shape = this.inputShape;
    if (shape === undefined) throw new Error(`${this} needs the shape of its input images: give the first layer inputShape: [height, width, channels]`);
    this.outputDim = this.outputDimFor(inputDim);
    this.inputDim = inputDim;
    this.geometry = windowGeometry(shape, [shape[0], shape[1]], [1, 1], "valid"); // one window: the whole image
    return this.outputDim;
  }

  forward(x: Matrix, _training: boolean): Matrix {
    if (!this.geometry) throw new Error(`${this} is not built yet: the shape of its input images is unknown`);
    const y = (this.y = workspace(this.y, x.rows, this.outputDim as number));
    backend().avgPool(y, x, this.geometry); // y(n, c) = mean over the image
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    if (options.needInputGradient === false) return null;
    if (!this.geometry) throw new Error(`${this}.backward called before forward`);
    const dx = (this.dx = workspace(this.dx, dy.rows, this.inputDim as number));
    backend().avgPoolBackward(dx, dy, this.geometry); // dx = dy / (h·w) at every pixel
    return dx;
  }

  toString(): string {
    return "GlobalAveragePooling2D";
  }
}
