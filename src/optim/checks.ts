/**
 * Option checks shared by the optimizers and the learning-rate schedules.
 * Each runs once, in a constructor, and its message names who, the option,
 * the value and what was expected: `Adam beta1 must be a number in [0, 1), got 1`.
 */
import { describe } from "../tensor/matrix.js";

/**
 * `options` must be an object (or omitted, unless `required`) whose keys are all in `known`.
 * A Keras spelling (`beta_1`, `learning_rate`) gets a pointer to purenn's
 * camelCase name instead of being silently ignored.
 */
export function checkOptionNames(
  who: string, options: unknown, known: readonly string[], example: string, required = false,
): void {
  if (options === undefined && !required) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new Error(`${who} expects an options object such as ${example}, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const fold = (s: string) => s.replace(/_/g, "").toLowerCase();
    const meant = known.find((k) => fold(k) === fold(key));
    const hint = meant ? ` (did you mean ${meant}?)` : "";
    throw new Error(`${who} got an unknown option ${JSON.stringify(key)}${hint}; known options: ${known.join(", ")}`);
  }
}

/** A finite number >= 0. */
export function nonNegative(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new Error(`${who} ${name} must be a finite number >= 0, got ${describe(v)}`);
  }
  return v;
}

/** A finite number > 0. */
export function positive(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new Error(`${who} ${name} must be a finite number > 0, got ${describe(v)}`);
  }
  return v;
}

/** A number in [0, 1): a decay or momentum factor. */
export function fraction(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v < 1)) {
    throw new Error(`${who} ${name} must be a number in [0, 1), got ${describe(v)}`);
  }
  return v;
}

/** A number in [0, 1]. */
export function closedFraction(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
    throw new Error(`${who} ${name} must be a number in [0, 1], got ${describe(v)}`);
  }
  return v;
}

/** An integer >= 0 (a step count). */
export function stepCount(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new Error(`${who} ${name} must be an integer >= 0, got ${describe(v)}`);
  }
  return v;
}

export function flag(who: string, name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new Error(`${who} ${name} must be true or false, got ${describe(v)}`);
  return v;
}
