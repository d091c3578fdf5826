/**
 * A Sequential model in TensorFlow.js's "layers-model" format, in memory.
 *
 *   model.json   { format: "layers-model", modelTopology: { class_name: "Sequential",
 *                  config: { name, layers: [{ class_name, config }, …] } },
 *                  weightsManifest: [{ paths: ["weights.bin"], weights: [{ name, shape, dtype }, …] }] }
 *   weights.bin  every weight's float32 values, little-endian, in manifest order;
 *                with includeOptimizer, the optimizer's follow (group "optimizer")
 *
 * Layer configs use Keras's snake_case keys (units, activation, use_bias,
 * batch_input_shape), so the same files load in TensorFlow.js
 * (tf.loadLayersModel) and, through tensorflowjs_converter, in Keras.
 * Weight names are "<layer name>/<weight name>" ("dense/kernel"); a bias is
 * saved with shape [units] and a kernel with [din, units] (a Conv2D kernel with
 * Keras's [kh, kw, c, filters], the same values in the same order). The first
 * layer's batch_input_shape is [null, ...the shape of an input row].
 *
 * Files are read as untrusted input: everything is checked before any storage
 * is allocated, and each error names what is wrong.
 *
 * Each layer class's config, and the activation names TensorFlow.js can read,
 * are in layer-codecs.ts; the optimizer (includeOptimizer) in training-config.ts.
 */
import { describe, type Matrix } from "../tensor/matrix.js";
import type { Param } from "../tensor/parameter.js";
import { Sequential } from "./sequential.js";
import { LAYER_CODECS, MAX_UNITS, checkHardSigmoid, positiveInt, type LayerCodec, type LayerJson } from "./layer-codecs.js";
import { CONV_CODECS } from "./conv-codecs.js";
import { shapeSize, type Layer } from "../layers/layer.js";

/** Every layer class a file may hold, by Keras's class name. */
const CODECS: Record<string, LayerCodec> = { ...LAYER_CODECS, ...CONV_CODECS };

export interface WeightSpec {
  name: string;
  shape: number[];
  /** float32, except the optimizer's step count "iter", which TF.js saves as int32. */
  dtype: "float32" | "int32";
  /** "optimizer" for the optimizer's weights (training-config.ts); absent or "model" for the model's. */
  group?: string;
}

/** What a save writes and a load reads: the JSON and the weight bytes. */
export interface ModelArtifacts {
  modelTopology: { class_name: "Sequential"; config: { name: string; layers: LayerJson[] }; keras_version: string; backend: string };
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  /** With includeOptimizer: the loss, metrics and optimizer settings (training-config.ts). */
  trainingConfig?: Record<string, unknown>;
  /** The model's weights, then (group "optimizer") the optimizer's. */
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
}

/** Serializes a built model; the optimizer, when asked for, is added by training-config.ts. */
export function toArtifacts(model: Sequential, version: string): ModelArtifacts {
  if (model.inputDim === undefined || model.outputDim === undefined) {
    throw new Error(`save: the model "${model.name}" is not built yet; give the first layer an inputDim`);
  }
  const layers: LayerJson[] = model.layers.map((layer, i) => {
    const codec = CODECS[layer.className];
    if (!codec?.toJson) throw new Error(`save: layer ${layer.name} (${layer.className}) cannot be saved; known: ${Object.keys(CODECS).join(", ")}`);
    const json = codec.toJson(layer);
    const config: Record<string, unknown> = { ...json.config, name: layer.name, trainable: true };
    if (i === 0) config.batch_input_shape = [null, ...(model.inputShape as number[])];
    if (i === 0) config.dtype = "float32";
    return { class_name: json.class_name, config };
  });
  const specs: WeightSpec[] = [];
  const values: Float32Array[] = [];
  for (const layer of model.layers) {
    for (const p of layer.weights()) {
      specs.push({ name: `${layer.name}/${p.name}`, shape: weightShape(p), dtype: "float32" });
      values.push(p.value.data);
    }
  }
  return {
    modelTopology: { class_name: "Sequential", config: { name: model.name, layers }, keras_version: `purenn ${version}`, backend: "purenn" },
    format: "layers-model",
    generatedBy: `purenn ${version}`,
    convertedBy: null,
    weightSpecs: specs,
    weightData: concatLittleEndian(values),
  };
}

/** A weight's shape in the file: Keras's shape where the Param has one (a Conv2D kernel's), else savedShape's. */
export function weightShape(p: Param): number[] {
  return p.shape ? [...p.shape] : savedShape(p.name, p.value);
}

/** A weight's shape in the file: a kernel [din, units]; a bias, gamma, beta, … as the vector [units]. */
export function savedShape(name: string, value: Matrix): number[] {
  return value.rows === 1 && name !== "kernel" ? [value.cols] : [value.rows, value.cols];
}

/** Little-endian bytes of all arrays (float32 or int32), one after another. */
export function concatLittleEndian(arrays: (Float32Array | Int32Array)[]): ArrayBuffer {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new ArrayBuffer(total * 4);
  const view = new DataView(out);
  let at = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, at += 4) {
      if (a instanceof Int32Array) view.setInt32(at, a[i], true);
      else view.setFloat32(at, a[i], true);
    }
  }
  return out;
}

/** The largest layer purenn builds from a file: guards against absurd sizes before allocating. */
export { MAX_UNITS };
export const MAX_WEIGHTS = 1 << 28;

/**
 * Builds a model from a parsed model.json topology and its weights. Checks the
 * topology (known classes, widths that chain, sane sizes) and that the
 * weights match it exactly, before creating any layer's storage.
 */
export function fromArtifacts(topology: unknown, specs: WeightSpec[], data: ArrayBuffer, source: string, generatedBy?: unknown): Sequential {
  const where = `${source}: modelTopology`;
  const top = topology as { class_name?: unknown; config?: unknown };
  if (typeof top !== "object" || top === null || top.class_name !== "Sequential") {
    throw new Error(`${where} must be a Sequential model (class_name "Sequential"), got ${describe(top?.class_name)}`);
  }
  const cfg = top.config as { layers?: unknown; name?: unknown } | unknown[];
  const layerList = Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown })?.layers; // old Keras: config is the list
  if (!Array.isArray(layerList) || layerList.length === 0) throw new Error(`${where}.config.layers must be a non-empty list of layers`);

  // First pass: classes, row shapes and weight counts. Layers are made (which
  // allocates nothing) but not built: no weight has storage yet.
  let shape: number[] | undefined;
  let inputShape: number[] | undefined;
  let expectedWeights = 0;
  const layers: Layer[] = [];
  layerList.forEach((entry, i) => {
    const at = `${where}.config.layers[${i}]`;
    const json = entry as LayerJson;
    if (typeof json !== "object" || json === null || typeof json.class_name !== "string" || typeof json.config !== "object" || json.config === null) {
      throw new Error(`${at} must be { class_name, config }, got ${describe(entry)}`);
    }
    const declared = json.config.batch_input_shape ?? json.config.batch_shape;
    if (declared !== undefined) {
      const s = rowShape(declared, `${at}.config.batch_input_shape`);
      if (shape !== undefined && s.join() !== shape.join()) {
        const text = (r: number[]) => (r.length === 1 ? `${r[0]}` : `[${r.join(", ")}]`);
        throw new Error(`${at} declares input ${s.length === 1 ? "width" : "shape"} ${text(s)} but the layer before it outputs ${text(shape)}`);
      }
      shape = s;
      inputShape ??= s;
    }
    if (json.class_name === "InputLayer") return; // Keras's explicit input: only its shape matters
    checkHardSigmoid(json.config.activation, `${at}.config.activation`, topology, generatedBy);
    const codec = CODECS[json.class_name];
    if (!codec) throw new Error(`${at}: unknown layer class ${describe(json.class_name)}; known: ${Object.keys(CODECS).join(", ")}`);
    if (shape === undefined) throw new Error(`${at}: the first layer must give batch_input_shape [null, width] (or [null, h, w, c] for images)`);
    for (const key of ["units", "filters"]) {
      if (json.config[key] === undefined) continue;
      const units = positiveInt(json.config[key], `${at}.config.${key}`);
      if (units > MAX_UNITS) throw new Error(`${at}.config.${key} is ${units}, more than the ${MAX_UNITS} purenn accepts`);
    }
    const input: number[] = shape;
    const layer = withPlace(at, () => codec.fromConfig(json.config, `${at}.config`));
    shape = withPlace(at, () => layer.outputShapeFor(input));
    if (shapeSize(shape) > MAX_WEIGHTS) throw new Error(`${at} outputs rows of ${shapeSize(shape)} values, more than the ${MAX_WEIGHTS} purenn accepts`);
    expectedWeights += codec.weightCount?.(layer, input) ?? 0;
    layers.push(layer);
  });
  if (expectedWeights > MAX_WEIGHTS) throw new Error(`${where} declares ${expectedWeights} weights, more than the ${MAX_WEIGHTS} purenn accepts`);

  const trainable = specs.filter((s) => s.group === undefined || s.group === "model");
  const declared = trainable.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  if (declared !== expectedWeights) {
    throw new Error(`${source}: the weights manifest declares ${declared} values but the layers need ${expectedWeights}`);
  }

  const model = new Sequential([], { name: typeof (cfg as { name?: unknown }).name === "string" ? String((cfg as { name: string }).name) : undefined });
  layers.forEach((layer, i) => {
    if (i === 0) {
      layer.inputShape = inputShape;
      layer.inputDim = shapeSize(inputShape as number[]);
    }
    model.add(layer);
  });
  setWeightsByName(model, specs, data, source);
  return model;
}

/** batch_input_shape [null, ...row shape] as the row shape, each entry a positive integer. */
function rowShape(declared: unknown, what: string): number[] {
  if (!Array.isArray(declared) || declared.length < 2 || declared[0] !== null) {
    throw new Error(`${what} must be [null, width] or [null, h, w, c], got ${JSON.stringify(declared)}`);
  }
  const s = declared.slice(1).map((n, j) => positiveInt(n, `${what}[${j + 1}]`));
  if (shapeSize(s) > MAX_WEIGHTS) throw new Error(`${what} declares rows of ${shapeSize(s)} values, more than the ${MAX_WEIGHTS} purenn accepts`);
  return s;
}

/** Runs `make`, putting `at` (where in the file) in front of its error's message. */
function withPlace<T>(at: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    const message = (e as Error).message;
    throw new Error(message.startsWith(at) ? message : `${at}: ${message}`);
  }
}

/** Byte offset of each weight in `data` (the manifest's order); checks the total and that no name repeats. */
export function weightOffsets(specs: WeightSpec[], data: ArrayBuffer, source: string): Map<WeightSpec, number> {
  const offsets = new Map<WeightSpec, number>();
  const names = new Set<string>();
  let offset = 0;
  for (const spec of specs) {
    if (names.has(spec.name)) throw new Error(`${source}: the weights manifest names ${spec.name} twice`);
    names.add(spec.name);
    offsets.set(spec, offset);
    offset += spec.shape.reduce((a, b) => a * b, 1) * 4;
  }
  if (offset !== data.byteLength) {
    throw new Error(`${source}: the weights manifest declares ${offset} bytes but the weight files hold ${data.byteLength}`);
  }
  return offsets;
}

/** Copies each layer's weights from `data`, found by name (or, failing that, by order, as TF.js does). */
function setWeightsByName(model: Sequential, specs: WeightSpec[], data: ArrayBuffer, source: string): void {
  const all = weightOffsets(specs, data, source);
  const modelSpecs = specs.filter((s) => s.group === undefined || s.group === "model"); // not the optimizer's
  const offsets = new Map(modelSpecs.map((spec) => [spec.name, { offset: all.get(spec) as number, spec }]));
  const params = model.layers.flatMap((l) => l.weights().map((p) => ({ layer: l, p })));
  const view = new DataView(data);
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
