/**
 * Activation: a layer that applies one activation function (Keras's
 * `Activation("relu")`). It has no weights.
 *   x, y: (n, c)
 *   forward:   y  = f(x)
 *   backward:  dx = f′(dy)   (the function's backward, from the saved x and y;
 *                            the formulas are in activations.ts)
 */
import { Matrix, workspace } from "../tensor/matrix.js";
import { Layer, type BackwardOptions } from "./layer.js";
import { getActivation, type ActivationFunction, type ActivationName } from "./activations.js";
import { resolveInputDim } from "./layer.js";
import { checkOptions, optionNames } from "../tensor/names.js";

export interface ActivationOptions {
  /** Input width, when this is the first layer. */
  inputDim?: number;
  /** Input shape without the batch axis, `[784]`; same as inputDim. */
  inputShape?: number[];
  /** Layer name; default "activation", "activation_1", ... */
  name?: string;
}

const ACTIVATION_OPTIONS = optionNames<ActivationOptions>({ inputDim: true, inputShape: true, name: true });

export class Activation extends Layer {
  readonly className = "Activation";
  readonly activation: ActivationFunction;
  private x: Matrix | undefined;
  private y: Matrix | undefined;
  private dx: Matrix | undefined;

  constructor(activation: ActivationName, options?: ActivationOptions) {
    const fn = getActivation(activation);
    const who = `Activation("${fn.name}")`;
    const { inputDim, inputShape, name } = checkOptions(who, options, ACTIVATION_OPTIONS);
    super(name, "activation");
    this.activation = fn;
    this.inputDim = resolveInputDim(who, inputDim, inputShape);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    this.x = x;
    const y = (this.y = workspace(this.y, x.rows, x.cols));
    this.activation.forward(y.data, x.data, x.rows, x.cols);
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    const { fromPreActivation = false, needInputGradient = true } = options;
    if (!needInputGradient) return null;
    if (fromPreActivation) return dy;
    const { x, y } = this;
    if (!x || !y) throw new Error(`${this}.backward called before forward`);
    const dx = (this.dx = workspace(this.dx, dy.rows, dy.cols));
    this.activation.backward(dx.data, dy.data, x.data, y.data, dy.rows, dy.cols);
    return dx;
  }

  override get finalActivation(): ActivationFunction {
    return this.activation;
  }

  toString(): string {
    return `Activation("${this.activation.name}")`;
  }
}
