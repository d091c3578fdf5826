/**
 * Optimizers and learning-rate schedules as configs: the `optimizer_config`
 * of a saved model's trainingConfig (model.json), { class_name, config }.
 *
 * Saved under the class names and keys TensorFlow.js reads (tfjs-core's
 * optimizers, getConfig / fromConfig; tf.loadLayersModel builds the optimizer
 * from them and compiles the model):
 *
 *   SGD, momentum 0   "SGD"       { learningRate }
 *   SGD, momentum m   "Momentum"  { learningRate, momentum, useNesterov }
 *   Adam              "Adam"      { learningRate, beta1, beta2, epsilon }        + amsgrad
 *   AdamW             "AdamW"     Adam's keys + weightDecay                      (TF.js has none)
 *   RMSprop           "RMSProp"   { learningRate, decay (= ρ), momentum, epsilon, centered }
 *   Adagrad           "Adagrad"   { learningRate, initialAccumulatorValue }      + epsilon
 *
 * plus clipnorm / clipvalue / globalClipnorm when set; TF.js ignores keys it
 * does not know. A schedule is saved as Keras saves one, learningRate:
 * { class_name: "ExponentialDecay", config: { initial_learning_rate, … } };
 * TF.js has no schedules (see tfjsCaveats for what it does with one).
 *
 * Loading also takes Keras's spellings: "RMSprop", snake_case keys
 * (learning_rate, beta_1, rho, use_nesterov), and null for "not set".
 */
import { describe } from "../tensor/matrix.js";
import type { Optimizer } from "./optimizer.js";
import { SGD, type SGDOptions } from "./sgd.js";
import { Adam, type AdamOptions } from "./adam.js";
import { AdamW, type AdamWOptions } from "./adamw.js";
import { RMSprop, type RMSpropOptions } from "./rmsprop.js";
import { Adagrad, type AdagradOptions } from "./adagrad.js";
import {
  CosineDecay, ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay,
  type CosineDecayOptions, type ExponentialDecayOptions, type PiecewiseConstantDecayOptions,
} from "./schedules.js";

export interface ClassConfig {
  class_name: string;
  config: Record<string, unknown>;
}

/** The optimizer's { class_name, config }, as TF.js's getTrainingConfig writes it. */
export function optimizerToConfig(o: Optimizer): ClassConfig {
  const clip = Object.fromEntries(
    Object.entries({ clipnorm: o.clipnorm, clipvalue: o.clipvalue, globalClipnorm: o.globalClipnorm }).filter(([, v]) => v !== undefined),
  );
  const learningRate = learningRateToConfig(o);
  if (o instanceof Adam) {
    const config = { learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, amsgrad: o.amsgrad, ...clip };
    return o instanceof AdamW ? { class_name: "AdamW", config: { ...config, weightDecay: o.weightDecay } } : { class_name: "Adam", config };
  }
  if (o instanceof SGD) {
    return o.momentum > 0
      ? { class_name: "Momentum", config: { learningRate, momentum: o.momentum, useNesterov: o.nesterov, ...clip } }
      : { class_name: "SGD", config: { learningRate, ...clip } };
  }
  if (o instanceof RMSprop) {
    return { class_name: "RMSProp", config: { learningRate, decay: o.rho, momentum: o.momentum, epsilon: o.epsilon, centered: o.centered, ...clip } };
  }
  if (o instanceof Adagrad) {
    return { class_name: "Adagrad", config: { learningRate, initialAccumulatorValue: o.initialAccumulatorValue, epsilon: o.epsilon, ...clip } };
  }
  return { class_name: o.className, config: { learningRate, ...clip } }; // an optimizer of your own: loadModel names it unknown
}

/** The rate as a number, or a schedule as Keras's { class_name, config }; a schedule without getConfig as its current rate. */
function learningRateToConfig(o: Optimizer): number | ClassConfig {
  const schedule = o.learningRateSchedule;
  const config = schedule?.getConfig();
  return schedule && config ? { class_name: schedule.className, config } : o.learningRate;
}

/**
 * Why TensorFlow.js would not continue training this optimizer as purenn
 * does, one sentence each; empty when it would. The save warns with them.
 */
export function tfjsCaveats(o: Optimizer): string[] {
  const caveats: string[] = [];
  const schedule = o.learningRateSchedule;
  if (schedule && !schedule.getConfig()) {
    caveats.push(`its learning-rate schedule ${schedule.className} has no getConfig(), so only its current rate ${o.learningRate} is saved`);
  } else if (schedule) {
    caveats.push(
      `TensorFlow.js optimizers take a number as learning rate: tf.loadLayersModel loads the ${schedule.className} config ` +
        `as the rate itself, and training in TensorFlow.js then gives NaN weights (purenn's loadModel restores the schedule)`,
    );
  }
  if (o instanceof AdamW) caveats.push(`TensorFlow.js has no AdamW: tf.loadLayersModel rejects the trainingConfig ("Unknown layer: AdamW")`);
  if (o instanceof Adam && o.amsgrad) {
    caveats.push(`TensorFlow.js's Adam has no amsgrad: tf.loadLayersModel splits the m, v, vhat weights in two and misreads them`);
  }
  if (o.clipnorm !== undefined || o.clipvalue !== undefined || o.globalClipnorm !== undefined) {
    caveats.push(`TensorFlow.js optimizers do not clip gradients: they ignore clipnorm, clipvalue and globalClipnorm`);
  }
  if (![SGD, Adam, RMSprop, Adagrad].some((c) => o instanceof c)) caveats.push(`purenn's loadModel cannot rebuild ${o.className}, an optimizer of your own`);
  return caveats;
}

const KNOWN = "SGD, Momentum, Adam, AdamW, RMSProp (or RMSprop), Adagrad";

/**
 * An optimizer from a saved { class_name, config } (purenn's, TF.js's or
 * Keras's spelling). Every setting goes through the optimizer's constructor,
 * which checks it; `where` starts each message.
 */
export function optimizerFromConfig(json: unknown, where: string): Optimizer {
  const j = json as { class_name?: unknown; config?: unknown } | null;
  if (typeof j !== "object" || j === null || typeof j.class_name !== "string") {
    throw new Error(`${where} must be { class_name, config } naming one of ${KNOWN}, got ${describe(json)}`);
  }
  const c = settings(j.config, `${where}.config`);
  const learningRate = c.learningRate === undefined ? undefined : learningRateFromConfig(c.learningRate, `${where}.config.learningRate`);
  // The values are unchecked here: each constructor checks its options and names a bad one.
  const base = { learningRate, clipnorm: c.clipnorm, clipvalue: c.clipvalue, globalClipnorm: c.globalClipnorm };
  const adam = { ...base, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, amsgrad: c.amsgrad };
  const build: Record<string, () => Optimizer> = {
    sgd: () => new SGD({ ...base, momentum: c.momentum, nesterov: c.nesterov ?? c.useNesterov } as SGDOptions),
    momentum: () => new SGD({ ...base, momentum: c.momentum, nesterov: c.useNesterov ?? c.nesterov } as SGDOptions),
    adam: () => new Adam(adam as AdamOptions),
    adamw: () => new AdamW({ ...adam, weightDecay: c.weightDecay } as AdamWOptions),
    rmsprop: () => new RMSprop({ ...base, rho: c.rho ?? c.decay, momentum: c.momentum, epsilon: c.epsilon, centered: c.centered } as RMSpropOptions),
    adagrad: () => new Adagrad({ ...base, initialAccumulatorValue: c.initialAccumulatorValue, epsilon: c.epsilon } as AdagradOptions),
  };
  const make = build[j.class_name.toLowerCase()];
  if (!make) throw new Error(`${where}.class_name: unknown optimizer ${describe(j.class_name)}; known: ${KNOWN}`);
  try {
    return make();
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** A number, or a schedule saved as { class_name, config } (TF.js, having camel-cased it, writes className). */
function learningRateFromConfig(json: unknown, where: string): number | LearningRateSchedule {
  if (typeof json === "number") return json;
  const j = json as { class_name?: unknown; className?: unknown; config?: unknown } | null;
  const name = j?.class_name ?? j?.className;
  const c = settings(j?.config, `${where}.config`);
  const build: Record<string, () => LearningRateSchedule> = {
    ExponentialDecay: () => new ExponentialDecay({
      initialLearningRate: c.initialLearningRate, decaySteps: c.decaySteps, decayRate: c.decayRate, staircase: c.staircase,
    } as ExponentialDecayOptions),
    PiecewiseConstantDecay: () => new PiecewiseConstantDecay({ boundaries: c.boundaries, values: c.values } as PiecewiseConstantDecayOptions),
    CosineDecay: () => new CosineDecay({
      initialLearningRate: c.initialLearningRate, decaySteps: c.decaySteps, alpha: c.alpha,
      warmupTarget: c.warmupTarget, warmupSteps: c.warmupSteps,
    } as CosineDecayOptions),
  };
  const make = typeof name === "string" ? build[name] : undefined;
  if (!make) {
    throw new Error(`${where} must be a number or a schedule { class_name, config } (${Object.keys(build).join(", ")}), got ${describe(name ?? json)}`);
  }
  try {
    return make();
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** A config object with camelCase keys (beta_1 → beta1) and null values dropped ("not set", as Keras writes it). */
function settings(config: unknown, where: string): Record<string, unknown> {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new Error(`${where} must be an object, got ${describe(config)}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v !== null && v !== undefined) out[k.replace(/_+([a-z0-9])/g, (_, ch: string) => ch.toUpperCase())] = v;
  }
  return out;
}
