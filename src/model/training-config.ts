/**
 * The optimizer in a saved model (save / loadModel with includeOptimizer), in
 * TensorFlow.js's layout: what tfjs-layers' LayersModel.save(handler,
 * { includeOptimizer: true }) writes (engine/training.ts) and what
 * tf.loadLayersModel restores (models.ts, loadLayersModelFromIOHandler, then
 * the optimizer's setWeights in tfjs-core):
 *
 *   model.json  trainingConfig: { loss, metrics, optimizer_config: { class_name, config } }
 *               (optimizer_config: optim/serialize.ts)
 *   weights     after the model's weights, each spec marked group: "optimizer":
 *                 iter             int32, shape [], the step count
 *                 <weight>/<slot>  float32, the weight's shape, for every trainable
 *                                  weight in model order, then the next slot
 *               Adam: iter, dense/kernel/m, dense/bias/m, …, dense/kernel/v, dense/bias/v, …
 *
 * TF.js restores by position: the first is the step count, the rest are cut
 * into equal parts, one per slot, so names are not checked there. purenn
 * reads them the same way and also checks every slot suffix and shape, so a
 * file whose optimizer weights belong to another optimizer or model is refused
 * with the weight it stumbled on.
 */
import { describe } from "../tensor/matrix.js";
import type { Param } from "../layers/layer.js";
import type { OptimizerState } from "../optim/optimizer.js";
import { optimizerFromConfig, tfjsCaveats } from "../optim/serialize.js";
import { type ModelArtifacts, type WeightSpec, concatLittleEndian, weightShape, weightOffsets } from "./serialize.js";
import { warnOnce } from "./layer-codecs.js";
import type { Sequential } from "./sequential.js";
import type { LossName, MetricName } from "../losses/index.js";

/** The trainable weights in the optimizer's order, with their names and shapes in the file. */
function trainable(model: Sequential): { name: string; shape: number[]; p: Param }[] {
  return model.layers.flatMap((layer) => layer.params().map((p) => ({ name: `${layer.name}/${p.name}`, shape: weightShape(p), p })));
}

/**
 * Adds the trainingConfig and the optimizer's state to saved artifacts, as
 * TF.js does; an uncompiled model has no optimizer and adds nothing (as in
 * TF.js). Warns once about what TF.js would not continue as purenn does.
 */
export function withOptimizer(artifacts: ModelArtifacts, model: Sequential): ModelArtifacts {
  const optimizer = model.optimizer;
  const trainingConfig = model.trainingConfig();
  if (!optimizer || !trainingConfig) return artifacts;
  for (const caveat of tfjsCaveats(optimizer)) warnOnce(`save: model ${model.name}, optimizer ${optimizer.className}: ${caveat}`);
  const weights = trainable(model);
  const state = optimizer.getState(weights.map((w) => w.p));
  const specs: WeightSpec[] = [{ name: "iter", shape: [], dtype: "int32", group: "optimizer" }];
  const values: (Float32Array | Int32Array)[] = [Int32Array.of(state.iterations)];
  for (const slot of state.slots) {
    slot.values.forEach((v, j) => {
      specs.push({ name: `${weights[j].name}/${slot.name}`, shape: weights[j].shape, dtype: "float32", group: "optimizer" });
      values.push(v);
    });
  }
  const bytes = new Uint8Array(artifacts.weightData.byteLength + 4 * values.reduce((s, v) => s + v.length, 0));
  bytes.set(new Uint8Array(artifacts.weightData), 0);
  bytes.set(new Uint8Array(concatLittleEndian(values)), artifacts.weightData.byteLength);
  return { ...artifacts, trainingConfig, weightSpecs: [...artifacts.weightSpecs, ...specs], weightData: bytes.buffer };
}

/**
 * Compiles a loaded model from its trainingConfig and restores the
 * optimizer's state from the "optimizer" weights, when there are any (a file
 * without them gives a fresh optimizer). Every check runs before the state is set.
 */
export function compileWithOptimizer(model: Sequential, config: unknown, specs: WeightSpec[], data: ArrayBuffer, source: string): void {
  const c = config as { loss?: unknown; metrics?: unknown; optimizer_config?: unknown } | undefined;
  if (typeof c !== "object" || c === null || typeof c.loss !== "string" || c.optimizer_config === undefined) {
    throw new Error(`${source}: includeOptimizer needs a trainingConfig with loss and optimizer_config, got ${describe(config)}`);
  }
  const optimizer = optimizerFromConfig(c.optimizer_config, `${source}: trainingConfig.optimizer_config`);
  const weights = trainable(model);
  const state = readState(weights, specs, data, source);
  const metrics = Array.isArray(c.metrics) ? c.metrics.map(String) : []; // TF.js writes {} when there are none
  // Names from the file: compile checks them, as it checks typed ones.
  model.compile({ optimizer, loss: c.loss as LossName, metrics: metrics as MetricName[] });
  if (state) optimizer.setState(weights.map((w) => w.p), state, `${source}: optimizer weights`);
}

/** The optimizer weights as a state, checked against the model's trainable weights; undefined when there are none. */
function readState(weights: { name: string; shape: number[] }[], specs: WeightSpec[], data: ArrayBuffer, source: string): OptimizerState | undefined {
  const offsets = weightOffsets(specs, data, source);
  const ours = specs.filter((s) => s.group === "optimizer");
  if (ours.length === 0) return undefined;
  const view = new DataView(data);
  const [iter, ...rest] = ours;
  const where = `${source}: optimizer weight`;
  if (iter.shape.reduce((a, b) => a * b, 1) !== 1) {
    throw new Error(`${where} ${iter.name}: the first must be the step count "iter", one number, got shape [${iter.shape.join(", ")}]`);
  }
  const at = offsets.get(iter) as number;
  const iterations = iter.dtype === "int32" ? view.getInt32(at, true) : view.getFloat32(at, true);
  const n = weights.length;
  if (n === 0 ? rest.length > 0 : rest.length % n !== 0) {
    throw new Error(`${where}s: ${rest.length} after "iter", not a whole number of slots for the model's ${n} trainable weights`);
  }
  const slots: OptimizerState["slots"] = [];
  for (let k = 0; n > 0 && k < rest.length / n; k++) {
    const group = rest.slice(k * n, (k + 1) * n);
    const slot = group[0].name.slice(group[0].name.lastIndexOf("/") + 1);
    const values = group.map((spec, j) => {
      if (spec.dtype === "int32") throw new Error(`${where} ${spec.name} has dtype "int32"; slots are float32`);
      if (spec.name.slice(spec.name.lastIndexOf("/") + 1) !== slot) {
        throw new Error(`${where} ${spec.name}: expected slot "${slot}" of ${weights[j].name} here (every trainable weight's "${slot}", then the next slot)`);
      }
      if (spec.shape.join() !== weights[j].shape.join()) {
        throw new Error(`${where} ${spec.name} has shape [${spec.shape.join(", ")}] but ${weights[j].name} has [${weights[j].shape.join(", ")}]`);
      }
      const start = offsets.get(spec) as number;
      return Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, (_, i) => view.getFloat32(start + 4 * i, true));
    });
    slots.push({ name: slot, values });
  }
  return { iterations, slots };
}
