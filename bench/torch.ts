// PyTorch beside purenn (bench/torch_reference.py, optional): the data files both sides read, and
// one run of the script. Only Debian's python3 has torch here (python3-torch with OpenBLAS).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Matrix } from "../src/index.js";
import type { Mnist } from "../src/data/mnist.js";

export const PYTHON = "/usr/bin/python3"; // Debian's, where python3-torch installs
let version: string | null | undefined;

/** PyTorch's version, or null (and "skipped" printed once) without python3-torch. */
export function torchVersion(): string | null {
  if (version === undefined) {
    const probe = spawnSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    version = probe.status === 0 ? probe.stdout.trim() : null;
    if (version === null) {
      console.log("  PyTorch: skipped (Debian's python3-torch is not installed: apt-get install python3-torch libopenblas0-pthread)");
    }
  }
  return version;
}

/**
 * A temporary folder with MNIST as raw arrays (x_train.f32, y_train.u8, x_test.f32, y_test.u8) and
 * the starting weights (weights.f32, each row-major, in the model's order): what torch_reference.py
 * and bench/rows-child.ts read. remove() deletes it.
 */
export function benchFiles(mnist: Mnist, weights: Matrix[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "purenn-bench-"));
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, "x_train.f32"), bytes(mnist.xTrain.data));
  writeFileSync(join(dir, "y_train.u8"), bytes(mnist.yTrain));
  writeFileSync(join(dir, "x_test.f32"), bytes(mnist.xTest.data));
  writeFileSync(join(dir, "y_test.u8"), bytes(mnist.yTest));
  writeFileSync(join(dir, "weights.f32"), Buffer.concat(weights.map((w) => bytes(w.data))));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TorchResult {
  /** The best time (epoch mode: the one time), in seconds. */
  seconds: number;
  times?: number[];
  accuracy?: number;
  /** Peak resident memory of the Python process. */
  maxrss_mb: number;
}

/** One run of torch_reference.py on `threads` threads (OpenBLAS's pool bounded too); see its header for the modes. */
export function runTorch(dir: string, threads: number, batchSize: number, options: string[] = []): TorchResult {
  const script = fileURLToPath(new URL("./torch_reference.py", import.meta.url));
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const run = spawnSync(PYTHON, [script, dir, String(threads), String(batchSize), ...options], { encoding: "utf8", env });
  if (run.status !== 0) throw new Error(`bench/torch_reference.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as TorchResult;
}
