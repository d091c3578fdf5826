/**
 * A Sequential model in TensorFlow.js's "layers-model" format, in memory.
 *
 *   model.json   { format: "layers-model", modelTopology: { class_name: "Sequential",
 *                  config: { name, layers: [{ class_name, config }, …] } },
 *                  weightsManifest: [{ paths: ["weights.bin"], weights: [{ name, shape, dtype }, …] }] }
 *   weights.bin  every weight's float32 values, little-endian, in manifest order
 *
 * Layer configs use Keras's snake_case keys (units, activation, use_bias,
 * batch_input_shape), so the same files load in TensorFlow.js
 * (tf.loadLayersModel) and, through tensorflowjs_converter, in Keras.
 * Weight names are "<layer name>/<weight name>" ("dense/kernel"); a bias is
 * saved with shape [units] and a kernel with [din, units].
 *
 * Files are read as untrusted input: everything is checked before any storage
 * is allocated, and each error names what is wrong.
 */
import { describe } from "../tensor/matrix.js";
import { Layer } from "../layers/layer.js";
import { Dense } from "../layers/dense.js";
import { Activation } from "../layers/activation.js";
import { Dropout } from "../layers/dropout.js";
import { BatchNormalization } from "../layers/batch-normalization.js";
import { L1L2, type Regularizer } from "../layers/regularizers.js";
import { Sequential } from "./sequential.js";

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: "float32";
  group?: string;
}

/** What a save writes and a load reads: the JSON and the weight bytes. */
export interface ModelArtifacts {
  modelTopology: { class_name: "Sequential"; config: { name: string; layers: LayerJson[] }; keras_version: string; backend: string };
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
}

export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** How each layer class is written to and read from a config. */
export interface LayerCodec {
  toConfig(layer: Layer): Record<string, unknown>;
  fromConfig(config: Record<string, unknown>, where: string): Layer;
}

/** An initializer's name as the { class_name, config } that Keras and TensorFlow.js register. */
function initializerJson(name: string): { class_name: string; config: Record<string, unknown> } {
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
function regularizerJson(r: Regularizer | undefined): unknown {
  if (!r) return null;
  const config = r.getConfig?.() ?? {};
  return { class_name: "L1L2", config: { l1: config.l1 ?? 0, l2: config.l2 ?? 0 } };
}

function regularizerFrom(json: unknown, where: string): Regularizer | undefined {
  if (json === null || json === undefined) return undefined;
  const r = json as { class_name?: unknown; config?: { l1?: unknown; l2?: unknown } };
  if (r.class_name !== "L1L2" && r.class_name !== "L1" && r.class_name !== "L2") {
    throw new Error(`${where}: unknown regularizer ${describe(r.class_name)}; known: L1L2, L1, L2`);
  }
  const factor = (v: unknown, what: string) => (v === undefined || v === null ? 0 : nonNegative(v, `${where}.config.${what}`));
  return new L1L2({ l1: factor(r.config?.l1, "l1"), l2: factor(r.config?.l2, "l2") });
}

export const LAYER_CODECS: Record<string, LayerCodec> = {
  Dense: {
    toConfig: (layer) => {
      const d = layer as Dense;
      return {
        units: d.units, activation: d.activation.name, use_bias: d.useBias,
        kernel_initializer: initializerJson(d.kernelInitializer), bias_initializer: initializerJson(d.biasInitializer),
        kernel_regularizer: regularizerJson(d.kernelRegularizer), bias_regularizer: regularizerJson(d.biasRegularizer),
        activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
      };
    },
    fromConfig: (c, where) => new Dense(positiveInt(c.units, `${where}.units`), {
      activation: optionalString(c.activation, `${where}.activation`) ?? "linear",
      useBias: optionalBoolean(c.use_bias, `${where}.use_bias`) ?? true,
      name: optionalString(c.name, `${where}.name`),
      kernelRegularizer: regularizerFrom(c.kernel_regularizer, `${where}.kernel_regularizer`),
      biasRegularizer: regularizerFrom(c.bias_regularizer, `${where}.bias_regularizer`),
      kernelInitializer: "zeros", // the saved weights replace it; draws nothing from the seeded generator
    }),
  },
  Dropout: {
    toConfig: (layer) => ({ rate: (layer as Dropout).rate, noise_shape: null, seed: (layer as Dropout).seed ?? null }),
    fromConfig: (c, where) => {
      if (c.noise_shape !== undefined && c.noise_shape !== null) throw new Error(`${where}.noise_shape must be null; purenn drops values independently`);
      const seed = c.seed === null || c.seed === undefined ? undefined : nonNegative(c.seed, `${where}.seed`);
      return new Dropout(nonNegative(c.rate, `${where}.rate`), { name: optionalString(c.name, `${where}.name`), seed });
    },
  },
  BatchNormalization: {
    toConfig: (layer) => {
      const b = layer as BatchNormalization;
      return {
        axis: -1, momentum: b.momentum, epsilon: b.epsilon, center: b.center, scale: b.scale,
        beta_initializer: initializerJson("zeros"), gamma_initializer: initializerJson("ones"),
        moving_mean_initializer: initializerJson("zeros"), moving_variance_initializer: initializerJson("ones"),
        beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
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
  },
  Activation: {
    toConfig: (layer) => ({ activation: (layer as Activation).activation.name }),
    fromConfig: (c, where) => new Activation(requiredString(c.activation, `${where}.activation`), { name: optionalString(c.name, `${where}.name`) }),
  },
};

/** Serializes a built model; optimizer state is not included here. */
export function toArtifacts(model: Sequential, version: string): ModelArtifacts {
  if (model.inputDim === undefined || model.outputDim === undefined) {
    throw new Error(`save: the model "${model.name}" is not built yet; give the first layer an inputDim`);
  }
  const layers: LayerJson[] = model.layers.map((layer, i) => {
    const codec = LAYER_CODECS[layer.className];
    if (!codec) throw new Error(`save: layer ${layer.name} (${layer.className}) cannot be saved; known: ${Object.keys(LAYER_CODECS).join(", ")}`);
    const config: Record<string, unknown> = { ...codec.toConfig(layer), name: layer.name, trainable: true };
    if (i === 0) config.batch_input_shape = [null, model.inputDim];
    if (i === 0) config.dtype = "float32";
    return { class_name: layer.className, config };
  });
  const specs: WeightSpec[] = [];
  const values: Float32Array[] = [];
  for (const layer of model.layers) {
    for (const p of layer.weights()) {
      specs.push({ name: `${layer.name}/${p.name}`, shape: p.value.rows === 1 && p.name !== "kernel" ? [p.value.cols] : [p.value.rows, p.value.cols], dtype: "float32" });
      values.push(p.value.data);
    }
  }
  return {
    modelTopology: { class_name: "Sequential", config: { name: model.name, layers }, keras_version: `purenn ${version}`, backend: "purenn" },
    format: "layers-model",
    generatedBy: `purenn ${version}`,
    convertedBy: null,
    weightSpecs: specs,
    weightData: concatFloat32(values),
  };
}

/** Little-endian float32 bytes of all arrays, one after another. */
export function concatFloat32(arrays: Float32Array[]): ArrayBuffer {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new ArrayBuffer(total * 4);
  const view = new DataView(out);
  let at = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++, at += 4) view.setFloat32(at, a[i], true);
  return out;
}

/** The largest layer purenn builds from a file: guards against absurd sizes before allocating. */
export const MAX_UNITS = 1 << 20;
export const MAX_WEIGHTS = 1 << 28;

/**
 * Builds a model from a parsed model.json topology and its weights. Checks the
 * topology (known classes, widths that chain, sane sizes) and that the
 * weights match it exactly, before creating any layer's storage.
 */
export function fromArtifacts(topology: unknown, specs: WeightSpec[], data: ArrayBuffer, source: string): Sequential {
  const where = `${source}: modelTopology`;
  const top = topology as { class_name?: unknown; config?: unknown };
  if (typeof top !== "object" || top === null || top.class_name !== "Sequential") {
    throw new Error(`${where} must be a Sequential model (class_name "Sequential"), got ${describe(top?.class_name)}`);
  }
  const cfg = top.config as { layers?: unknown; name?: unknown } | unknown[];
  const layerList = Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown })?.layers; // old Keras: config is the list
  if (!Array.isArray(layerList) || layerList.length === 0) throw new Error(`${where}.config.layers must be a non-empty list of layers`);

  // First pass: classes, widths and weight counts, without building anything.
  let width: number | undefined;
  let expectedWeights = 0;
  const plan: { json: LayerJson; codec: LayerCodec; at: string }[] = [];
  layerList.forEach((entry, i) => {
    const at = `${where}.config.layers[${i}]`;
    const json = entry as LayerJson;
    if (typeof json !== "object" || json === null || typeof json.class_name !== "string" || typeof json.config !== "object" || json.config === null) {
      throw new Error(`${at} must be { class_name, config }, got ${describe(entry)}`);
    }
    const shape = json.config.batch_input_shape ?? json.config.batch_shape;
    if (shape !== undefined) {
      if (!Array.isArray(shape) || shape.length !== 2) throw new Error(`${at}.config.batch_input_shape must be [null, width], got ${JSON.stringify(shape)}`);
      const w = positiveInt(shape[1], `${at}.config.batch_input_shape[1]`);
      if (width !== undefined && w !== width) throw new Error(`${at} declares input width ${w} but the layer before it outputs ${width}`);
      width = w;
    }
    if (json.class_name === "InputLayer") return; // Keras's explicit input: only its shape matters
    const codec = LAYER_CODECS[json.class_name];
    if (!codec) throw new Error(`${at}: unknown layer class ${describe(json.class_name)}; known: ${Object.keys(LAYER_CODECS).join(", ")}`);
    if (width === undefined) throw new Error(`${at}: the first layer must give batch_input_shape [null, width]`);
    if (json.class_name === "Dense") {
      const units = positiveInt(json.config.units, `${at}.config.units`);
      if (units > MAX_UNITS) throw new Error(`${at}.config.units is ${units}, more than the ${MAX_UNITS} purenn accepts`);
      expectedWeights += width * units + (json.config.use_bias === false ? 0 : units);
      width = units;
    } else if (json.class_name === "BatchNormalization") {
      // gamma (if scale), beta (if center), moving mean and variance
      expectedWeights += width * (2 + (json.config.scale === false ? 0 : 1) + (json.config.center === false ? 0 : 1));
    }
    plan.push({ json, codec, at });
  });
  if (expectedWeights > MAX_WEIGHTS) throw new Error(`${where} declares ${expectedWeights} weights, more than the ${MAX_WEIGHTS} purenn accepts`);

  const inputWidth = firstWidth(layerList);
  const trainable = specs.filter((s) => s.group === undefined || s.group === "model");
  const declared = trainable.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  if (declared !== expectedWeights) {
    throw new Error(`${source}: the weights manifest declares ${declared} values but the layers need ${expectedWeights}`);
  }

  const model = new Sequential([], { name: typeof (cfg as { name?: unknown }).name === "string" ? String((cfg as { name: string }).name) : undefined });
  plan.forEach(({ json, codec, at }, i) => {
    const layer = codec.fromConfig(json.config, `${at}.config`);
    if (i === 0) layer.inputDim = inputWidth;
    model.add(layer);
  });
  setWeightsByName(model, specs, data, source);
  return model;
}

function firstWidth(layers: unknown[]): number {
  for (const l of layers) {
    const shape = (l as LayerJson).config?.batch_input_shape ?? (l as LayerJson).config?.batch_shape;
    if (Array.isArray(shape)) return shape[1] as number;
  }
  throw new Error("unreachable: checked in the first pass");
}

/** Copies each layer's weights from `data`, found by name (or, failing that, by order, as TF.js does). */
function setWeightsByName(model: Sequential, specs: WeightSpec[], data: ArrayBuffer, source: string): void {
  const offsets = new Map<string, { offset: number; spec: WeightSpec }>();
  let offset = 0;
  for (const spec of specs) {
    offsets.set(spec.name, { offset, spec });
    offset += spec.shape.reduce((a, b) => a * b, 1) * 4;
  }
  if (offset !== data.byteLength) {
    throw new Error(`${source}: the weights manifest declares ${offset} bytes but the weight files hold ${data.byteLength}`);
  }
  const params = model.layers.flatMap((l) => l.weights().map((p) => ({ layer: l, p })));
  const view = new DataView(data);
  const modelSpecs = specs.filter((s) => s.group === undefined || s.group === "model");
  params.forEach(({ layer, p }, i) => {
    const found = offsets.get(`${layer.name}/${p.name}`) ?? (modelSpecs[i] && offsets.get(modelSpecs[i].name));
    if (!found) throw new Error(`${source}: no weight named ${layer.name}/${p.name} in the manifest`);
    const count = found.spec.shape.reduce((a, b) => a * b, 1);
    if (count !== p.value.data.length) {
      throw new Error(`${source}: weight ${found.spec.name} has shape [${found.spec.shape.join(", ")}] but ${layer.name} ${p.name} needs ${p.value.shapeString}`);
    }
    for (let j = 0; j < count; j++) p.value.data[j] = view.getFloat32(found.offset + 4 * j, true);
  });
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${describe(v)}`);
  return v;
}

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Error(`${what} must be a finite number >= 0, got ${describe(v)}`);
  return v;
}

function requiredString(v: unknown, what: string): string {
  if (typeof v !== "string") throw new Error(`${what} must be a string, got ${describe(v)}`);
  return v;
}

function optionalString(v: unknown, what: string): string | undefined {
  return v === undefined || v === null ? undefined : requiredString(v, what);
}

function optionalBoolean(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new Error(`${what} must be true or false, got ${describe(v)}`);
  return v;
}
