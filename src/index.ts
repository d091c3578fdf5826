/**
 * purenn's public API for Node: the core (core.ts), plus what needs Node —
 * IDX files and MNIST, worker threads for matmul, saving and loading models.
 * This is the only import path users need:
 *
 *   import { Sequential, Dense, Activation, loadMnist, toCategorical, argmax } from "purenn";
 */
import { setThreads, defaultThreads } from "./tensor/threads.node.js";
import { enableRelaxedSimd } from "./tensor/relaxed-simd.node.js";
import { backend } from "./tensor/backend.js";
import { setFolderIO } from "./model/folder-io.js";
import { saveModel } from "./model/io.node.js";

export * from "./core.js";
export { parseIdx, readIdx, writeIdx, loadMnist, type IdxArray, type MnistOptions, type Mnist } from "./data/index.js";
export { setThreads, getThreads, threadsReady } from "./tensor/threads.node.js";
export { loadModel, saveModel, type SaveOptions, type LoadOptions } from "./model/io.node.js";
export { ModelCheckpoint, CSVLogger, type ModelCheckpointOptions, type CSVLoggerOptions } from "./model/checkpoint.node.js";
export { writeReport } from "./report/write.node.js";
export { reportHtml, type ReportOptions, type ReportSummary } from "./report/html.js";
export type { ReportData } from "./report/analysis.js";

// The fused products where V8 has relaxed SIMD but leaves it off (Node 20): before any module is built.
enableRelaxedSimd();
// Split large matmuls across all cores (or PURENN_THREADS); workers start 0.3 s after the first job (threads.node.ts).
setThreads(defaultThreads());
// PURENN_BACKEND=reference|js|wasm chooses the backend (default: wasm where WebAssembly SIMD runs;
// PURENN_KERNEL, its old name, still works); checked here so that a wrong value fails at import.
if (process.env.PURENN_BACKEND || process.env.PURENN_KERNEL) backend();
// model.save(dir) writes folders through io.node.ts.
setFolderIO({ save: saveModel });
