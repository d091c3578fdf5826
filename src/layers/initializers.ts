/**
 * Weight initializers, as Keras 3 defines them. Each fills a matrix from the
 * seeded generator (tensor/random.ts), given the weight's fans:
 *   a Dense kernel (din, dout):  fanIn = din,  fanOut = dout
 *   a vector of c values (a bias, BatchNormalization's gamma):  fanIn = fanOut = c
 *     (Keras's compute_fans for a 1-D shape)
 *
 * The variance-scaling family draws with variance  s / fan,  where fan is
 * max(1, fanIn) ("fan_in"), or max(1, (fanIn + fanOut) / 2) ("fan_avg"):
 *
 *   name            s   fan       distribution
 *   glorot_uniform  1   fan_avg   U(−L, L),  L = √(3·s / fan) = √(6 / (fanIn + fanOut))
 *                                 (Keras's Dense default; TensorFlow.js's is glorotNormal)
 *   glorot_normal   1   fan_avg   truncated normal, σ = √(s / fan) / 0.87962566103423978
 *   he_uniform      2   fan_in    U(−L, L),  L = √(6 / fanIn)
 *   he_normal       2   fan_in    truncated normal, σ = √(2 / fanIn) / 0.8796…
 *   lecun_uniform   1   fan_in    U(−L, L),  L = √(3 / fanIn)
 *   lecun_normal    1   fan_in    truncated normal, σ = √(1 / fanIn) / 0.8796…
 *
 * Truncated normal: z ~ N(0, 1), redrawn while |z| > 2, times σ. Cutting the
 * tails at ±2 leaves a standard deviation of 0.87962566103423978·σ, so Keras 3
 * divides σ by that number and the values end up with the variance s / fan
 * asked for, all inside ±2σ. (TensorFlow.js's *Normal initializers do not
 * divide: their values have a standard deviation 0.88 times Keras's.)
 *
 *   random_normal     N(0, 0.05²)           (plain, not truncated)
 *   truncated_normal  truncated normal, σ = 0.05
 *   random_uniform    U(−0.05, 0.05)
 *   zeros, ones       constants (zeros is the default bias)
 *
 * Names are taken in either spelling ("he_normal", "heNormal", "HeNormal").
 */
import type { Matrix } from "../tensor/matrix.js";
import { normal } from "../tensor/random.js";
import { uniformDraws } from "../tensor/backend.js";
import { lookupName, type Spelled } from "../tensor/names.js";

export type Initializer = (w: Matrix, fanIn: number, fanOut: number) => void;

/** Standard deviation of N(0, 1) truncated to [−2, 2] (Keras 3's constant). */
export const TRUNCATED_STDDEV = 0.87962566103423978;

/** z ~ N(0, 1) conditioned on |z| ≤ 2: draws again while outside (accepts 95.4% of draws). */
export function truncatedStandardNormal(): number {
  for (;;) {
    const z = normal(0, 1);
    if (Math.abs(z) <= 2) return z;
  }
}

type Fan = "fan_in" | "fan_avg";

function fanOf(mode: Fan, fanIn: number, fanOut: number): number {
  return mode === "fan_in" ? Math.max(1, fanIn) : Math.max(1, (fanIn + fanOut) / 2);
}

/** Uniform on ±√(3·scale / fan): variance scale / fan. */
function varianceScalingUniform(scale: number, mode: Fan): Initializer {
  return (w, fanIn, fanOut) => {
    const limit = Math.sqrt((3 * scale) / fanOf(mode, fanIn, fanOut));
    uniformDraws(w.data, -limit, limit);
  };
}

/** Truncated normal with σ = √(scale / fan) / 0.8796…: variance scale / fan after truncation. */
function varianceScalingNormal(scale: number, mode: Fan): Initializer {
  return (w, fanIn, fanOut) => {
    const sd = Math.sqrt(scale / fanOf(mode, fanIn, fanOut)) / TRUNCATED_STDDEV;
    for (let i = 0; i < w.data.length; i++) w.data[i] = sd * truncatedStandardNormal();
  };
}

const initializers = {
  glorot_uniform: varianceScalingUniform(1, "fan_avg"),
  glorot_normal: varianceScalingNormal(1, "fan_avg"),
  he_uniform: varianceScalingUniform(2, "fan_in"),
  he_normal: varianceScalingNormal(2, "fan_in"),
  lecun_uniform: varianceScalingUniform(1, "fan_in"),
  lecun_normal: varianceScalingNormal(1, "fan_in"),
  random_normal: (w) => {
    for (let i = 0; i < w.data.length; i++) w.data[i] = normal(0, 0.05);
  },
  truncated_normal: (w) => {
    for (let i = 0; i < w.data.length; i++) w.data[i] = 0.05 * truncatedStandardNormal();
  },
  random_uniform: (w) => uniformDraws(w.data, -0.05, 0.05),
  zeros: (w) => {
    w.data.fill(0);
  },
  ones: (w) => {
    w.data.fill(1);
  },
} satisfies Record<string, Initializer>;

/** An initializer's name in either spelling, "he_normal" or "heNormal". */
export type InitializerName = Spelled<keyof typeof initializers>;
export const INITIALIZERS: Record<string, Initializer> = initializers;

/** The name of an initializer from the table, or "custom" for a function of the user's. */
export function initializerName(init: Initializer): string {
  return Object.keys(INITIALIZERS).find((k) => INITIALIZERS[k] === init) ?? "custom";
}

/**
 * Looks up an initializer by name (unknown names list the known ones); a
 * function `(w, fanIn, fanOut) => void` is used as it is.
 */
export function getInitializer(name: unknown): Initializer {
  if (typeof name === "function") return name as Initializer;
  return lookupName(INITIALIZERS, name, "initializer");
}
