/**
 * Weight initializers, as Keras defines them. Each fills a (fanIn x fanOut)
 * matrix from the seeded generator (tensor/random.ts).
 *
 *   glorot_uniform:  U(−L, L),  L = √(6 / (fanIn + fanOut))   (Keras's Dense default;
 *                    TensorFlow.js's Dense defaults to glorotNormal instead)
 *   zeros, ones:     constants (zeros is the default bias)
 */
import type { Matrix } from "../tensor/matrix.js";
import { uniform } from "../tensor/random.js";
import { lookupName } from "../tensor/names.js";

export type Initializer = (w: Matrix, fanIn: number, fanOut: number) => void;

const glorotUniform: Initializer = (w, fanIn, fanOut) => {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < w.data.length; i++) w.data[i] = uniform(-limit, limit);
};

const zeros: Initializer = (w) => {
  w.data.fill(0);
};

const ones: Initializer = (w) => {
  w.data.fill(1);
};

export const INITIALIZERS: Record<string, Initializer> = {
  glorot_uniform: glorotUniform,
  zeros,
  ones,
};

/** Looks up an initializer by name; unknown names list the known ones. */
export function getInitializer(name: unknown): Initializer {
  return lookupName(INITIALIZERS, name, "initializer");
}
