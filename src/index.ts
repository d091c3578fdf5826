/**
 * purenn's public API for Node: the core (core.ts) plus reading IDX files and
 * loading MNIST. This is the only import path users need:
 *
 *   import { Sequential, Dense, Activation, loadMnist, toCategorical, argmax } from "purenn";
 */
export * from "./core.js";
export { parseIdx, readIdx, writeIdx, loadMnist, type IdxArray, type MnistOptions, type Mnist } from "./data/index.js";
export { setThreads, getThreads, threadsReady } from "./tensor/threads.node.js";

import { setThreads, defaultThreads } from "./tensor/threads.node.js";
// Node entry: split large matmuls across all cores (or PURENN_THREADS). Workers start on first use.
setThreads(defaultThreads());
