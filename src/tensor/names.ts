/**
 * Names a user types: the string names of activations, losses, optimizers,
 * metrics, initializers (one table per kind), and the keys of every public
 * options object. Both are checked at the door, and a wrong one gets an error
 * that names it and the known ones; an unknown option also the nearest known one:
 *
 *   unknown activation "sigmod"; known activations: linear, sigmoid, …
 *   Dense(3) got an unknown option "activaton" (did you mean activation?); known options: …
 *   fit got an unknown option "batch_size" (did you mean batchSize?); purenn spells options in camelCase; …
 *
 * Keras spells names and options in snake_case ("categorical_crossentropy",
 * batch_size), TensorFlow.js in camelCase ("categoricalCrossentropy",
 * batchSize). Table names are taken in both spellings: they are compared with
 * underscores removed and case folded. Option keys are camelCase only, as
 * TypeScript users see them in the option interfaces; a Keras spelling gets a
 * pointer to the camelCase one instead of being silently ignored.
 *
 * "Nearest" is the edit distance between folded names (optimal string
 * alignment: an insertion, deletion, substitution or swap of two neighbours
 * costs 1), at most 1 for names up to 5 letters and 2 for longer ones.
 */
import { describe } from "./matrix.js";

/** snake_case → camelCase, as a type: "leaky_relu" → "leakyRelu". */
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** A table name in both spellings: "leaky_relu" | "leakyRelu". */
export type Spelled<S extends string> = S | Camel<S>;

/** The entry of `table` named `name` (either spelling); an unknown name lists the known ones. */
export function lookupName<T>(table: Record<string, T>, name: unknown, kind: string): T {
  const known = Object.keys(table);
  if (typeof name === "string") {
    const key = fold(name);
    for (const k of known) {
      if (fold(k) === key) return table[k];
    }
  }
  const kinds = kind.endsWith("s") ? `${kind}es` : `${kind}s`;
  throw new Error(`unknown ${kind} ${describe(name)}; known ${kinds}: ${known.join(", ")}`);
}

/**
 * The keys of an options interface, listed once: the compiler checks that the
 * list names every key of T and nothing else, so it cannot fall behind the interface.
 */
export function optionNames<T>(keys: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(keys);
}

export interface CheckOptionsSettings {
  /** An example options object for the message when `options` is not an object. */
  example?: string;
  /** The options argument cannot be omitted (its interface has required keys). */
  required?: boolean;
}

/**
 * The options argument of a public entry point, checked before any work:
 * undefined (unless required) gives {}; anything but a plain object, or any
 * key not in `known`, throws with `who` first ("Dense(3)", "fit", "Adam").
 */
export function checkOptions<T extends object>(
  who: string, options: T | undefined, known: readonly string[], settings: CheckOptionsSettings = {},
): T {
  if (options === undefined && !settings.required) return {} as T;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    const example = settings.example ? ` such as ${settings.example}` : "";
    throw new Error(`${who} expects an options object${example}, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const meant = nearestName(key, known);
    const hint = meant ? ` (did you mean ${meant}?)` : "";
    const camel = meant && key.includes("_") ? "; purenn spells options in camelCase" : "";
    throw new Error(`${who} got an unknown option ${JSON.stringify(key)}${hint}${camel}; known options: ${known.join(", ")}`);
  }
  return options;
}

/** The known name nearest to `name` (folded), when it is near enough to be a slip; else undefined. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const key = fold(name);
  const limit = key.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(key, fold(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Underscores removed, lower case: "batch_size", "batchSize" and "BatchSize" all fold to "batchsize". */
function fold(name: string): string {
  return name.replace(/_/g, "").toLowerCase();
}

/**
 * Optimal string alignment distance: d[i][j] is the cost of turning a[0, i)
 * into b[0, j); each step inserts, deletes or substitutes one letter, or swaps
 * two neighbours ("adma" → "adam" is 1).
 */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
