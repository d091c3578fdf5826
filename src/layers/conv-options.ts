/**
 * The options of Conv2D and the pooling layers (Keras's arguments, in
 * camelCase), and their checks at the door: sizes given as a number or a
 * pair, paddings, image shapes.
 */
import { describe } from "../tensor/matrix.js";
import { optionNames } from "../tensor/names.js";
import type { Padding } from "../tensor/conv-geometry.js";
import type { ActivationName } from "./activations.js";
import type { Initializer, InitializerName } from "./initializers.js";
import type { Regularizer, RegularizerName } from "./regularizers.js";
import { shapeText } from "./layer.js";

export type { Padding } from "../tensor/conv-geometry.js";

/** A size along (height, width): one number for both, or a pair. */
export type Size2 = number | [number, number];

export interface Conv2DOptions {
  /** The window's height and width, 3 or [3, 3] (Keras kernel_size); required. */
  kernelSize: Size2;
  /** Steps between windows, down and across; default 1. */
  strides?: Size2;
  /** "valid" (no padding: the output shrinks) or "same" (zeros around: out = ⌈in / stride⌉); default "valid". */
  padding?: Padding;
  /** Activation applied to the convolution plus bias; default "linear" (none). */
  activation?: ActivationName;
  /** Whether to add a bias per filter; default true. */
  useBias?: boolean;
  /** Kernel initializer, a name or a function; default "glorot_uniform", fanIn = kh·kw·c, fanOut = kh·kw·filters (Keras). */
  kernelInitializer?: InitializerName | Initializer;
  /** Bias initializer, a name or a function; default "zeros". */
  biasInitializer?: InitializerName | Initializer;
  /** Penalty on the kernel, as Dense's; default none. */
  kernelRegularizer?: RegularizerName | Regularizer;
  /** Penalty on the bias, as Dense's; default none. */
  biasRegularizer?: RegularizerName | Regularizer;
  /** The shape of one input image, [height, width, channels], for the first layer (Keras input_shape). */
  inputShape?: number[];
  /** Layer name; default "conv2d", "conv2d_1", ... */
  name?: string;
}

export const CONV2D_OPTIONS = optionNames<Conv2DOptions>({
  kernelSize: true, strides: true, padding: true, activation: true, useBias: true, kernelInitializer: true,
  biasInitializer: true, kernelRegularizer: true, biasRegularizer: true, inputShape: true, name: true,
});

export interface Pooling2DOptions {
  /** The window's height and width; default 2 ([2, 2]). */
  poolSize?: Size2;
  /** Steps between windows; default poolSize (windows side by side). */
  strides?: Size2;
  /** "valid" or "same" (windows past the edge pool the pixels inside); default "valid". */
  padding?: Padding;
  /** The shape of one input image, [height, width, channels], for the first layer. */
  inputShape?: number[];
  /** Layer name; default "max_pooling2d", "average_pooling2d", ... */
  name?: string;
}

export const POOLING2D_OPTIONS = optionNames<Pooling2DOptions>({ poolSize: true, strides: true, padding: true, inputShape: true, name: true });

/** A number or a pair of positive integers, as [height, width]. */
export function pair(who: string, what: string, v: unknown): [number, number] {
  const ok = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n > 0;
  if (ok(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
  throw new Error(`${who} ${what} must be a positive integer or a pair of them, such as 3 or [3, 3], got ${Array.isArray(v) ? JSON.stringify(v) : describe(v)}`);
}

export function padding(who: string, v: unknown): Padding {
  if (v === "valid" || v === "same") return v;
  throw new Error(`${who} padding must be "valid" or "same", got ${describe(v)}`);
}

/** An image shape [height, width, channels] of positive integers. */
export function imageShape(who: string, shape: unknown, what = "inputShape"): number[] {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    const got = Array.isArray(shape) ? JSON.stringify(shape) : describe(shape);
    throw new Error(`${who} ${what} must be [height, width, channels] of positive integers, got ${got}`);
  }
  return [...shape];
}

/**
 * Checks that input rows of `shape` are images that a window of `size` fits
 * (with "valid" padding), and that they agree with a declared inputShape.
 */
export function checkImageInput(
  who: string, shape: readonly number[], declared: readonly number[] | undefined, size: [number, number], pad: Padding, window: string,
): void {
  if (shape.length !== 3) {
    throw new Error(`${who} takes images, rows of shape [height, width, channels], got input of shape ${shapeText(shape)}` +
      (shape.length === 1 ? `; give the first layer inputShape: [h, w, c], or add Reshape({ targetShape: [h, w, c] })` : ""));
  }
  if (declared !== undefined && declared.join() !== shape.join()) {
    throw new Error(`${who} was given inputShape [${declared.join(", ")}] but its input has shape ${shapeText(shape)}`);
  }
  if (pad === "valid" && (size[0] > shape[0] || size[1] > shape[1])) {
    throw new Error(`${who} ${window} [${size.join(", ")}] is larger than its input images ${shapeText(shape)} with padding "valid"; ` +
      `use a smaller window or padding "same"`);
  }
}
