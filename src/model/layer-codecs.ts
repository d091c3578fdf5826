/**
 * How each layer class is saved in, and read from, a layers-model file
 * (serialize.ts): Keras's class names and snake_case config keys (units,
 * activation, use_bias), which TensorFlow.js and Keras both read.
 *
 * Activations are saved under the names TensorFlow.js 4.22 registers (elu,
 * selu, relu, relu6, linear, sigmoid, hard_sigmoid, softplus, softsign, tanh,
 * softmax, log_softmax, gelu, gelu_new, mish, swish; tfjs-layers
 * activations.ts) where that keeps the function; activationJson says what
 * happens to the others.
 */
import { describe } from "../tensor/matrix.js";
import { Layer } from "../layers/layer.js";
import { Dense } from "../layers/dense.js";
import { Activation } from "../layers/activation.js";
import type { ActivationName } from "../layers/activations.js";
import { Dropout } from "../layers/dropout.js";
import { BatchNormalization } from "../layers/batch-normalization.js";
import { L1L2, type Regularizer } from "../layers/regularizers.js";

export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** How each layer class is written to and read from a config. */
export interface LayerCodec {
  /** The layer's class name and config (without name and trainable); absent for a class purenn only reads. */
  toJson?(layer: Layer): LayerJson;
  fromConfig(config: Record<string, unknown>, where: string): Layer;
  /** How many weight values the layer holds for input rows of `shape`; 0 when absent (no weights). */
  weightCount?(layer: Layer, shape: readonly number[]): number;
}

/** Each message once per process: a model saved every epoch (ModelCheckpoint) warns once. */
const warned = new Set<string>();
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

/** The largest Dense (units) or Conv2D (filters) purenn builds from a file. */
export const MAX_UNITS = 1 << 20;

/** leaky_relu's fixed negative slope in purenn (Keras 3's activations.leaky_relu default). */
const LEAKY_SLOPE = 0.2;

/**
 * An activation as TensorFlow.js 4.22 reads it, where that keeps the function:
 *   silu         → "swish", the same x·σ(x) under the name TF.js knows (Keras takes both)
 *   leaky_relu   an Activation layer → TF.js's LeakyReLU layer { alpha: 0.2 } (read back as
 *                Activation("leaky_relu")); inside Dense it stays, and the save warns
 *   exponential  stays, and the save warns: TF.js has no such activation
 *   hard_sigmoid stays (Keras 3's relu6(x + 3)/6), and the save warns: TF.js reads the
 *                name as Keras 2's clip(0.2·x + 0.5, 0, 1)
 * Returns the name to save; when TF.js cannot follow, warns once.
 */
export function activationJson(name: string, layer: string, inDense: boolean): string {
  const { name: saved, warning } = activationMapping(name, layer, inDense);
  if (warning) warnOnce(`save: ${warning}`);
  return saved;
}

function activationMapping(name: string, layer: string, inDense: boolean): { name: string; warning?: string } {
  const rejects = (why: string) =>
    `${why}: tf.loadLayersModel will reject this model ("Unknown activation"); purenn's loadModel reads it back`;
  if (name === "silu") return { name: "swish" };
  if (name === "exponential") {
    return { name, warning: rejects(`layer ${layer} has activation "exponential", which TensorFlow.js 4.22 does not have`) };
  }
  if (name === "leaky_relu" && inDense) {
    return {
      name,
      warning: rejects(`layer ${layer} has activation "leaky_relu", which TensorFlow.js 4.22 has only as a layer`) +
        `. For TensorFlow.js, follow a Dense without activation by Activation("leaky_relu"), saved as a LeakyReLU layer`,
    };
  }
  if (name === "hard_sigmoid") {
    return {
      name,
      warning: `layer ${layer} has activation "hard_sigmoid", Keras 3's relu6(x + 3) / 6: tf.loadLayersModel accepts the name ` +
        `but computes Keras 2's clip(0.2·x + 0.5, 0, 1), so its predictions will differ; purenn's loadModel reads it back exactly`,
    };
  }
  return { name };
}

/** An initializer's name as the { class_name, config } that Keras and TensorFlow.js register. */
export function initializerJson(name: string): { class_name: string; config: Record<string, unknown> } {
  const known: Record<string, string> = {
    glorot_uniform: "GlorotUniform", glorot_normal: "GlorotNormal", he_uniform: "HeUniform", he_normal: "HeNormal",
    lecun_uniform: "LeCunUniform", lecun_normal: "LeCunNormal", zeros: "Zeros", ones: "Ones",
    random_normal: "RandomNormal", random_uniform: "RandomUniform", truncated_normal: "TruncatedNormal",
  };
  const className = known[name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()];
  if (className === "Zeros" || className === "Ones") return { class_name: className, config: {} };
  // A custom function has no name to save: any initializer will do, the saved weights replace it.
  return { class_name: className ?? "GlorotUniform", config: { seed: null } };
}

/** A regularizer as TensorFlow.js's L1L2 (the one regularizer class it registers), or null. */
export function regularizerJson(r: Regularizer | undefined): unknown {
  if (!r) return null;
  const config = r.getConfig?.() ?? {};
  return { class_name: "L1L2", config: { l1: config.l1 ?? 0, l2: config.l2 ?? 0 } };
}

export function regularizerFrom(json: unknown, where: string): Regularizer | undefined {
  if (json === null || json === undefined) return undefined;
  const r = json as { class_name?: unknown; config?: { l1?: unknown; l2?: unknown } };
  if (r.class_name !== "L1L2" && r.class_name !== "L1" && r.class_name !== "L2") {
    throw new Error(`${where}: unknown regularizer ${describe(r.class_name)}; known: L1L2, L1, L2`);
  }
  const factor = (v: unknown, what: string) => (v === undefined || v === null ? 0 : nonNegative(v, `${where}.config.${what}`));
  return new L1L2({ l1: factor(r.config?.l1, "l1"), l2: factor(r.config?.l2, "l2") });
}

/** What Dense and Conv2D share: an activation, a kernel and an optional bias, their initializers and penalties. */
interface KernelLayer {
  name: string; activation: { name: string }; useBias: boolean;
  kernelInitializer: string; biasInitializer: string; kernelRegularizer?: Regularizer; biasRegularizer?: Regularizer;
}

/** The config keys Keras writes for those, after the layer's own (units, or filters and the window). */
export function kernelLayerJson(d: KernelLayer): Record<string, unknown> {
  return {
    activation: activationJson(d.activation.name, d.name, true), use_bias: d.useBias,
    kernel_initializer: initializerJson(d.kernelInitializer), bias_initializer: initializerJson(d.biasInitializer),
    kernel_regularizer: regularizerJson(d.kernelRegularizer), bias_regularizer: regularizerJson(d.biasRegularizer),
    activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
  };
}

/** Those options read back from a config; the initializer is "zeros": the saved weights replace it, drawing nothing from the seeded generator. */
export function kernelLayerOptions(c: Record<string, unknown>, where: string) {
  return {
    // A name from the file: the layer checks it (getActivation), as it checks a typed one.
    activation: (optionalString(c.activation, `${where}.activation`) ?? "linear") as ActivationName,
    useBias: optionalBoolean(c.use_bias, `${where}.use_bias`) ?? true,
    name: optionalString(c.name, `${where}.name`),
    kernelRegularizer: regularizerFrom(c.kernel_regularizer, `${where}.kernel_regularizer`),
    biasRegularizer: regularizerFrom(c.bias_regularizer, `${where}.bias_regularizer`),
    kernelInitializer: "zeros" as const,
  };
}

export const LAYER_CODECS: Record<string, LayerCodec> = {
  Dense: {
    toJson: (layer) => {
      const d = layer as Dense;
      return {
        class_name: "Dense",
        config: { units: d.units, ...kernelLayerJson(d) },
      };
    },
    fromConfig: (c, where) => new Dense(positiveInt(c.units, `${where}.units`), kernelLayerOptions(c, where)),
    weightCount: (layer, shape) => shape[0] * (layer as Dense).units + ((layer as Dense).useBias ? (layer as Dense).units : 0),
  },
  Dropout: {
    toJson: (layer) => ({ class_name: "Dropout", config: { rate: (layer as Dropout).rate, noise_shape: null, seed: (layer as Dropout).seed ?? null } }),
    fromConfig: (c, where) => {
      if (c.noise_shape !== undefined && c.noise_shape !== null) throw new Error(`${where}.noise_shape must be null (purenn drops values independently), got ${describe(c.noise_shape)}`);
      const seed = c.seed === null || c.seed === undefined ? undefined : nonNegative(c.seed, `${where}.seed`);
      return new Dropout(nonNegative(c.rate, `${where}.rate`), { name: optionalString(c.name, `${where}.name`), seed });
    },
  },
  BatchNormalization: {
    toJson: (layer) => {
      const b = layer as BatchNormalization;
      return {
        class_name: "BatchNormalization",
        config: {
          axis: -1, momentum: b.momentum, epsilon: b.epsilon, center: b.center, scale: b.scale,
          beta_initializer: initializerJson("zeros"), gamma_initializer: initializerJson("ones"),
          moving_mean_initializer: initializerJson("zeros"), moving_variance_initializer: initializerJson("ones"),
          beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
        },
      };
    },
    fromConfig: (c, where) => {
      const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis ?? -1;
      if (axis !== -1 && axis !== 1) throw new Error(`${where}.axis must be -1 (the features of (n, c) inputs), got ${describe(c.axis)}`);
      return new BatchNormalization({
        momentum: c.momentum === undefined ? undefined : nonNegative(c.momentum, `${where}.momentum`),
        epsilon: c.epsilon === undefined ? undefined : nonNegative(c.epsilon, `${where}.epsilon`),
        center: optionalBoolean(c.center, `${where}.center`),
        scale: optionalBoolean(c.scale, `${where}.scale`),
        name: optionalString(c.name, `${where}.name`),
      });
    },
    // gamma (if scale), beta (if center), moving mean and variance
    weightCount: (layer, shape) => {
      const b = layer as BatchNormalization;
      return shape[0] * (2 + (b.scale ? 1 : 0) + (b.center ? 1 : 0));
    },
  },
  Activation: {
    toJson: (layer) => {
      const a = layer as Activation;
      if (a.activation.name === "leaky_relu") return { class_name: "LeakyReLU", config: { alpha: LEAKY_SLOPE } };
      return { class_name: "Activation", config: { activation: activationJson(a.activation.name, a.name, false) } };
    },
    fromConfig: (c, where) => new Activation(requiredString(c.activation, `${where}.activation`) as ActivationName, { name: optionalString(c.name, `${where}.name`) }),
  },
  // Read only: TF.js's and Keras's LeakyReLU layer, which is how purenn saves Activation("leaky_relu").
  LeakyReLU: {
    fromConfig: (c, where) => {
      const slope = c.alpha ?? c.negative_slope ?? 0.3; // both write 0.3 as their default
      if (slope !== LEAKY_SLOPE) {
        throw new Error(`${where}.alpha is ${describe(slope)}; purenn's leaky_relu has the fixed negative slope ${LEAKY_SLOPE} (Keras 3's activations.leaky_relu)`);
      }
      return new Activation("leaky_relu", { name: optionalString(c.name, `${where}.name`) });
    },
  },
};

/**
 * A file written by TensorFlow.js or converted from Keras 2 means Keras 2's
 * hard_sigmoid, clip(0.2·x + 0.5, 0, 1); purenn's is Keras 3's relu6(x + 3)/6.
 * Refused rather than loaded as a different function.
 */
export function checkHardSigmoid(activation: unknown, where: string, topology: unknown, generatedBy: unknown): void {
  if (activation !== "hard_sigmoid" && activation !== "hardSigmoid") return;
  const kerasVersion = String((topology as { keras_version?: unknown }).keras_version ?? "");
  if (/^TensorFlow\.js|^keras v?2\./i.test(String(generatedBy ?? "")) || /^(tfjs|2\.)/.test(kerasVersion)) {
    throw new Error(
      `${where} is "hard_sigmoid" in a model saved by ${generatedBy ?? kerasVersion}, which means Keras 2's clip(0.2·x + 0.5, 0, 1); ` +
        `purenn's hard_sigmoid is Keras 3's relu6(x + 3) / 6, so it cannot load this layer faithfully`,
    );
  }
}

export function positiveInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${describe(v)}`);
  return v;
}

export function nonNegative(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Error(`${what} must be a finite number >= 0, got ${describe(v)}`);
  return v;
}

function requiredString(v: unknown, what: string): string {
  if (typeof v !== "string") throw new Error(`${what} must be a string, got ${describe(v)}`);
  return v;
}

export function optionalString(v: unknown, what: string): string | undefined {
  return v === undefined || v === null ? undefined : requiredString(v, what);
}

export function optionalBoolean(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new Error(`${what} must be true or false, got ${describe(v)}`);
  return v;
}
