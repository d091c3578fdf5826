/**
 * Value checks shared by the optimizers and the learning-rate schedules (the
 * option names are checked by tensor/names.ts). Each runs once, in a
 * constructor, and its message names who, the option, the value and what was
 * expected: `Adam beta1 must be a number in [0, 1), got 1`.
 */
import { describe } from "../tensor/matrix.js";

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
