/**
 * MNIST's pixels as purenn's input: bytes 0..255, 784 an image, into an
 * (n, 784) Matrix, a row per image (also a 28x28x1 image, channels last).
 * No Node module here: the browser's training worker (demo/train-worker.ts)
 * uses it too, on the bytes it fetches.
 */
import { Matrix } from "../tensor/matrix.js";

/** n x 784 float32 pixels, scaled by 1/255 when normalizing (Keras: x / 255.0). */
export function toImages(pixels: Uint8Array, normalize: boolean): Matrix {
  if (pixels.length % 784 !== 0) {
    throw new Error(`toImages expects whole images of 784 pixels (28x28), got ${pixels.length} bytes (${Math.floor(pixels.length / 784)} images and ${pixels.length % 784} bytes over)`);
  }
  const m = new Matrix(pixels.length / 784, 784);
  const out = m.data;
  if (!normalize) {
    out.set(pixels);
    return m;
  }
  // One division per gray level; v / 255 in float64 rounded to float32 equals
  // numpy's float32 x / 255 exactly (double rounding is harmless for division).
  const scaled = new Float32Array(256).map((_, v) => v / 255);
  for (let i = 0; i < pixels.length; i++) out[i] = scaled[pixels[i]];
  return m;
}
