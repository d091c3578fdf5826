/**
 * Saving and loading models in folders (Node only): `model.json` and
 * `weights.bin`, TensorFlow.js's layers-model files (see serialize.ts).
 *
 * A save must never leave a folder that loads as neither model, even if the
 * process dies half way. The steps, each a rename (atomic on one file system):
 *
 *   1. write weights.bin.<tmp> and model.json.<tmp> in full (fsync both);
 *      model.json records the SHA-256 of its weights (purenn.weightsSha256)
 *   2. model.json.<tmp> → model.json.next      the new JSON, complete
 *   3. weights.bin.<tmp> → weights.bin         the new weights in place
 *   4. model.json.next → model.json            done
 *
 * Loading reads model.json and checks the hash of weights.bin; if they differ
 * (a crash between steps 3 and 4), model.json.next describes weights.bin and is
 * loaded instead. So a folder always loads as the old model or the new one.
 * The next save first finishes or discards such a leftover (finishInterruptedSave).
 */
import { mkdir, open, readFile, readdir, rename, rm, realpath, stat } from "node:fs/promises";
import { createHash, randomBytes } from "node:crypto";
import { join, sep } from "node:path";
import { describe } from "../tensor/matrix.js";
import { checkOptions, optionNames } from "../tensor/names.js";
import type { Sequential } from "./sequential.js";
import { toArtifacts, fromArtifacts, type WeightSpec } from "./serialize.js";
import { withOptimizer, compileWithOptimizer } from "./training-config.js";

const VERSION = "0.1.0";

export interface SaveOptions {
  /**
   * Also write the compile settings (trainingConfig) and the optimizer's state
   * (step count, moments, accumulators) as TensorFlow.js does; default false.
   */
  includeOptimizer?: boolean;
}

const SAVE_OPTIONS = optionNames<SaveOptions>({ includeOptimizer: true });

/** Writes `dir/model.json` and `dir/weights.bin`, creating dir if needed, atomically. */
export async function saveModel(model: Sequential, dir: string, options?: SaveOptions): Promise<void> {
  if (typeof dir !== "string" || dir === "") throw new Error(`save expects a folder path, got ${describe(dir)}`);
  const { includeOptimizer } = checkOptions("save", options, SAVE_OPTIONS);
  const plain = toArtifacts(model, VERSION);
  const artifacts = includeOptimizer ? withOptimizer(plain, model) : plain;
  const weights = new Uint8Array(artifacts.weightData);
  const json = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    modelTopology: artifacts.modelTopology,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    purenn: { weightsSha256: sha256(weights) },
  };
  await mkdir(dir, { recursive: true });
  await removeLeftovers(dir);
  await finishInterruptedSave(dir);
  const tag = randomBytes(6).toString("hex");
  const weightsTmp = join(dir, `weights.bin.${tag}.tmp`);
  const jsonTmp = join(dir, `model.json.${tag}.tmp`);
  try {
    await writeSynced(weightsTmp, weights);
    await writeSynced(jsonTmp, Buffer.from(JSON.stringify(json, null, 1)));
    await rename(jsonTmp, join(dir, "model.json.next"));
    await rename(weightsTmp, join(dir, "weights.bin"));
    await rename(join(dir, "model.json.next"), join(dir, "model.json"));
    await syncDir(dir);
  } finally {
    await rm(weightsTmp, { force: true });
    await rm(jsonTmp, { force: true });
  }
}

export interface LoadOptions {
  /**
   * Compile the model with the saved loss, metrics and optimizer settings
   * (trainingConfig) and restore the optimizer's state when the file has it;
   * default false.
   */
  includeOptimizer?: boolean;
}

const LOAD_OPTIONS = optionNames<LoadOptions>({ includeOptimizer: true });

/** Reads a model saved by purenn or by TensorFlow.js (model.json + its weight files) from a folder. */
export async function loadModel(dir: string, options?: LoadOptions): Promise<Sequential> {
  if (typeof dir !== "string" || dir === "") throw new Error(`loadModel expects a folder path, got ${describe(dir)}`);
  const { includeOptimizer } = checkOptions("loadModel", options, LOAD_OPTIONS);
  const jsonPath = join(dir, "model.json");
  let json = await readJson(jsonPath);
  let weights = await readWeights(dir, json, jsonPath);
  const expected = (json.purenn as { weightsSha256?: unknown } | undefined)?.weightsSha256;
  if (typeof expected === "string" && expected !== sha256(weights.data)) {
    // A save died between its last two renames: model.json.next matches weights.bin.
    const nextPath = join(dir, "model.json.next");
    const next = await readJson(nextPath).catch(() => undefined);
    if (!next) throw new Error(`${dir}: weights.bin does not match model.json (SHA-256 differs); the folder is corrupt`);
    json = next;
    weights = await readWeights(dir, json, nextPath);
  }
  const bytes = weights.data.buffer.slice(weights.data.byteOffset, weights.data.byteOffset + weights.data.byteLength) as ArrayBuffer;
  const model = fromArtifacts(json.modelTopology, weights.specs, bytes, jsonPath, json.generatedBy);
  if (includeOptimizer) compileWithOptimizer(model, json.trainingConfig, weights.specs, bytes, jsonPath);
  return model;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `${path}: file not found` : `${path}: cannot read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${path}: expected a JSON object, got ${describe(json)}`);
  return json as Record<string, unknown>;
}

/** The weight files the manifest names, checked to lie inside `dir` and to hold exactly the declared bytes. */
async function readWeights(dir: string, json: Record<string, unknown>, jsonPath: string): Promise<{ specs: WeightSpec[]; data: Uint8Array }> {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new Error(`${jsonPath}: weightsManifest must be a list of { paths, weights }, got ${describe(manifest)}`);
  const root = await realpath(dir);
  const specs: WeightSpec[] = [];
  const files: string[] = [];
  let declared = 0;
  manifest.forEach((group: { paths?: unknown; weights?: unknown }, g: number) => {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new Error(`${jsonPath}: weightsManifest[${g}] must have paths and weights lists`);
    for (const raw of group.paths) {
      // TensorFlow.js writes "./name.weights.bin"; a leading "./" names the same file.
      const p = typeof raw === "string" ? raw.replace(/^\.\//, "") : raw;
      if (typeof p !== "string" || p === "" || p.includes("/") || p.includes("\\") || p === "." || p === "..") {
        throw new Error(`${jsonPath}: weight path ${describe(raw)} must be a file name inside the model folder`);
      }
      files.push(p);
    }
    group.weights.forEach((w: WeightSpec, i: number) => {
      const at = `${jsonPath}: weightsManifest[${g}].weights[${i}]`;
      if (typeof w?.name !== "string") throw new Error(`${at}.name must be a string`);
      // TF.js saves the optimizer's step count as int32; every other weight is float32.
      const int32Ok = w.group === "optimizer" && w.dtype === "int32";
      if (w.dtype !== undefined && w.dtype !== "float32" && !int32Ok) {
        throw new Error(`${at} (${w.name}) has dtype ${describe(w.dtype)}; purenn reads float32 weights (and an int32 optimizer step count)`);
      }
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 31)) {
        throw new Error(`${at} (${w.name}) has shape ${JSON.stringify(w.shape)}; expected a list of sizes`);
      }
      declared += w.shape.reduce((a, b) => a * b, 1) * 4;
      specs.push(w);
    });
  });
  let actual = 0;
  const paths: string[] = [];
  for (const f of files) {
    const full = await realpath(join(root, f)).catch(() => {
      throw new Error(`${jsonPath}: weight file ${f} not found in ${dir}`);
    });
    if (!full.startsWith(root + sep)) throw new Error(`${jsonPath}: weight file ${f} resolves outside the model folder (${full})`);
    actual += (await stat(full)).size;
    paths.push(full);
  }
  if (actual !== declared) {
    throw new Error(`${jsonPath}: the manifest declares ${declared} bytes of weights but ${files.join(", ")} hold${files.length === 1 ? "s" : ""} ${actual}`);
  }
  const data = new Uint8Array(actual);
  let at = 0;
  for (const p of paths) {
    const bytes = await readFile(p);
    data.set(bytes, at);
    at += bytes.length;
  }
  return { specs, data };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

/**
 * A save that died leaves model.json.next behind. If weights.bin is already the
 * new one (the save died between steps 3 and 4), finish it: rename the JSON
 * into place. Otherwise (between 2 and 3) the old pair is whole: drop the JSON.
 * Either way the next save starts from one consistent model.json + weights.bin.
 */
async function finishInterruptedSave(dir: string): Promise<void> {
  const nextPath = join(dir, "model.json.next");
  const next = await readJson(nextPath).catch(() => undefined);
  if (!next) return;
  const expected = (next.purenn as { weightsSha256?: unknown } | undefined)?.weightsSha256;
  const weights = await readFile(join(dir, "weights.bin")).catch(() => undefined);
  if (weights && expected === sha256(weights)) await rename(nextPath, join(dir, "model.json"));
  else await rm(nextPath, { force: true });
}

/** Temporary files of a save that died: never referenced by model.json, safe to remove. */
async function removeLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => /^(weights\.bin|model\.json)\.[0-9a-f]+\.tmp$/.test(n)).map((n) => rm(join(dir, n), { force: true })));
}
