/**
 * Dropout (Keras's `Dropout(rate)`): in training, zero each value with
 * probability `rate` and scale the kept ones by 1/(1 − rate) ("inverted"
 * dropout), so every value keeps its expected size and inference needs no
 * correction. It has no weights.
 *
 *   x, y, mask: (n, c)
 *   training:   mask_ij = 1/(1 − rate) if u_ij ≥ rate else 0,   u_ij = d_ij / 2³² ~ U[0, 1)
 *               (d_ij a 32-bit random draw; the backend compares d_ij ≥ rate · 2³², the same test)
 *               y  = x ⊙ mask
 *               dx = dy ⊙ mask                      (uses the saved mask)
 *   inference, or rate 0:
 *               y  = x,   dx = dy                    (identity, as Keras)
 *
 * A new mask is drawn on every training forward, from the seeded generator
 * (tensor/random.ts), so `setRandomSeed` makes the masks reproducible. With the
 * `seed` option the layer draws from a stream of its own instead (Keras: the
 * layer's own SeedGenerator), which other draws (shuffling, other layers) do
 * not move. The scale is rounded to float32 first and y = x · scale · keep, as
 * TensorFlow's dropout computes it.
 */
import { Matrix, workspace, describe } from "../tensor/matrix.js";
import { fillUint32, splitmix32 } from "../tensor/random.js";
import { allocUint32 } from "../tensor/alloc.js";
import { backend } from "../tensor/backend.js";
import { Layer, type BackwardOptions } from "./layer.js";
import { resolveInputDim } from "./layer.js";
import { checkOptions, optionNames } from "../tensor/names.js";

export interface DropoutOptions {
  /** An integer: the layer draws its masks from its own stream seeded with it; default the global generator. */
  seed?: number;
  /** Input width, when this is the first layer. */
  inputDim?: number;
  /** Input shape without the batch axis, `[784]`; same as inputDim. */
  inputShape?: number[];
  /** Layer name; default "dropout", "dropout_1", ... */
  name?: string;
}

const DROPOUT_OPTIONS = optionNames<DropoutOptions>({ seed: true, inputDim: true, inputShape: true, name: true });

export class Dropout extends Layer {
  readonly className = "Dropout";
  /** The fraction of values dropped in training, in [0, 1). */
  readonly rate: number;
  readonly seed: number | undefined;
  /** Fills its argument with 32-bit draws: the global generator's, or the layer's own (a seed). */
  private readonly draw: (out: Uint32Array) => void;
  /** One draw per value, in the heap (the wasm backend reads them there). */
  private draws: Uint32Array = new Uint32Array(0);
  /** The first rows·cols of draws: the last batch's view, kept while batches keep their shape. */
  private drawn: Uint32Array = new Uint32Array(0);
  /** Whether the last forward dropped values (training with rate > 0); backward follows it. */
  private dropped = false;
  private mask: Matrix | undefined;
  private y: Matrix | undefined;
  private dx: Matrix | undefined;

  constructor(rate: number, options?: DropoutOptions) {
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
      throw new Error(`Dropout rate must be a number in [0, 1), the fraction of values to drop, got ${describe(rate)}`);
    }
    const { seed, inputDim, inputShape, name } = checkOptions(`Dropout(${rate})`, options, DROPOUT_OPTIONS);
    if (seed !== undefined && !Number.isInteger(seed)) {
      throw new Error(`Dropout(${rate}) seed must be an integer, got ${describe(seed)}`);
    }
    super(name, "dropout");
    this.rate = rate;
    this.seed = seed;
    this.draw = seed === undefined ? fillUint32 : splitmix32(seed);
    this.inputDim = resolveInputDim(`Dropout(${rate})`, inputDim, inputShape);
  }

  forward(x: Matrix, training: boolean): Matrix {
    this.dropped = training && this.rate > 0;
    if (!this.dropped) return x;
    const n = x.rows, c = x.cols;
    const mask = (this.mask = workspace(this.mask, n, c));
    const y = (this.y = workspace(this.y, n, c));
    const scale = Math.fround(1 / (1 - this.rate));
    if (this.draws.length < n * c) this.draws = this.drawn = allocUint32(n * c);
    if (this.drawn.length !== n * c) this.drawn = this.draws.subarray(0, n * c);
    const draws = this.drawn;
    this.draw(draws);
    backend().dropout(y.data, mask.data, x.data, draws, this.rate, scale); // kept where draw / 2³² ≥ rate
    return y;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    if (options.needInputGradient === false) return null;
    if (!this.dropped) return dy;
    const mask = this.mask;
    if (!mask || mask.rows !== dy.rows || mask.cols !== dy.cols) {
      throw new Error(`${this}.backward expects dy of the last forward's shape, got ${dy.shapeString}`);
    }
    const dx = (this.dx = workspace(this.dx, dy.rows, dy.cols));
    const m = mask.data, g = dy.data, d = dx.data;
    for (let i = 0; i < d.length; i++) d[i] = g[i] * m[i];
    return dx;
  }

  toString(): string {
    return `Dropout(${this.rate})`;
  }
}
