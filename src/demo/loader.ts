/**
 * Loading a saved model without a file system (browser-safe): from the parsed
 * model.json and the bytes of its weight files, however they were obtained —
 * fetch() from a server, or files the user picked.
 *
 *   model.json   { modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: [specs…] }, …] }
 *   weights      each path's bytes; the manifest's groups in order, concatenated,
 *                are the float32 values of every spec in order
 *
 * purenn's save (src/model/io.node.ts) and TensorFlow.js's model.save() both
 * write this layers-model format (TF.js may name the file "./model.weights.bin").
 * Building the model — checking the topology, matching weights to layers —
 * is serialize.ts's fromArtifacts, shared with the Node loader.
 */
import { describe } from "../tensor/matrix.js";
import type { Sequential } from "../model/sequential.js";
import { fromArtifacts, type WeightSpec } from "../model/serialize.js";

/** The weight file names a model.json refers to, in order, without any "./" prefix. */
export function weightPaths(modelJson: unknown, source = "model.json"): string[] {
  return manifestOf(modelJson, source).flatMap((g) => g.paths);
}

/**
 * Builds the model from model.json (parsed) and its weight files by name
 * (`files["weights.bin"]`). TensorFlow.js's and purenn's files both load.
 */
export function modelFromFiles(modelJson: unknown, files: Record<string, ArrayBuffer>, source = "model.json"): Sequential {
  const groups = manifestOf(modelJson, source);
  const specs: WeightSpec[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of groups) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const bytes = files[path] ?? files[`./${path}`];
      if (!(bytes instanceof ArrayBuffer)) throw new Error(`${source}: the weight file ${path} is missing (have: ${Object.keys(files).join(", ") || "none"})`);
      buffers.push(bytes);
    }
  }
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    data.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return fromArtifacts((modelJson as { modelTopology?: unknown }).modelTopology, specs, data.buffer, source);
}

/** Fetches `url` (a model.json) and the weight files it names, next to it; builds the model. */
export async function fetchModel(url: string, fetchFn: typeof fetch = fetch): Promise<Sequential> {
  const response = await fetchFn(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  const json: unknown = await response.json();
  const files: Record<string, ArrayBuffer> = {};
  for (const path of weightPaths(json, url)) {
    const fileUrl = new URL(path, new URL(url, (globalThis as { location?: { href: string } }).location?.href)).href;
    const r = await fetchFn(fileUrl);
    if (!r.ok) throw new Error(`${fileUrl}: HTTP ${r.status} ${r.statusText}`);
    files[path] = await r.arrayBuffer();
  }
  return modelFromFiles(json, files, url);
}

interface Group { paths: string[]; weights: WeightSpec[] }

/**
 * The manifest's groups, checked: each path a plain file name ("./" allowed
 * and dropped), each weight a float32 spec with a list of sizes.
 */
function manifestOf(modelJson: unknown, source: string): Group[] {
  const json = modelJson as { weightsManifest?: unknown; modelTopology?: unknown };
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${source}: expected a JSON object, got ${describe(modelJson)}`);
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${source}: weightsManifest must be a list of { paths, weights }, got ${describe(json.weightsManifest)}`);
  return json.weightsManifest.map((group: { paths?: unknown; weights?: unknown }, g: number) => {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new Error(`${source}: weightsManifest[${g}] must have paths and weights lists`);
    const paths = group.paths.map((p: unknown) => {
      const name = typeof p === "string" ? p.replace(/^\.\//, "") : "";
      if (name === "" || name.includes("/") || name.includes("\\") || name === "." || name === "..") {
        throw new Error(`${source}: weight path ${describe(p)} must be a file name next to model.json`);
      }
      return name;
    });
    const weights = group.weights.map((w: WeightSpec, i: number) => {
      const at = `${source}: weightsManifest[${g}].weights[${i}]`;
      if (typeof w?.name !== "string") throw new Error(`${at}.name must be a string`);
      if (w.dtype !== undefined && w.dtype !== "float32") throw new Error(`${at} (${w.name}) has dtype ${describe(w.dtype)}; purenn reads float32 weights`);
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 31)) {
        throw new Error(`${at} (${w.name}) has shape ${JSON.stringify(w.shape)}; expected a list of sizes`);
      }
      return w;
    });
    return { paths, weights };
  });
}
