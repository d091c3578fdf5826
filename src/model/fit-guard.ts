/**
 * One fit at a time: while a model trains, a second fit, evaluate or predict
 * on it is refused at once (they would share its buffers and its optimizer's
 * state); the fit's own callbacks may still call predict and evaluate, as in Keras.
 */
import type { Sequential } from "./sequential.js";

type State = "training" | "in a callback";
const states = new WeakMap<Sequential, State>();

/** Throws when a fit runs on `model`, unless `who` is predict or evaluate called from one of its callbacks. */
export function mustNotBeFitting(model: Sequential, who: string): void {
  const state = states.get(model);
  if (state === undefined || (state === "in a callback" && who !== "fit")) return;
  throw new Error(
    `${who}: model "${model.name}" is busy: a fit is running on it; await that fit before calling ${who} ` +
      `(its own callbacks may call predict and evaluate)`,
  );
}

/** Runs a fit, marking the model busy until it ends. */
export async function whileFitting<T>(model: Sequential, run: () => Promise<T>): Promise<T> {
  states.set(model, "training");
  try {
    return await run();
  } finally {
    states.delete(model);
  }
}

/** Runs a fit's callbacks: they may call predict and evaluate meanwhile. */
export async function inCallback(model: Sequential, run: () => Promise<void>): Promise<void> {
  const state = states.get(model);
  if (state !== undefined) states.set(model, "in a callback");
  try {
    await run();
  } finally {
    if (state !== undefined) states.set(model, state);
  }
}
