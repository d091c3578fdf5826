import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

/**
 * The numeric tests (gradient checks, TensorFlow.js parity, bit-identical
 * training across thread counts) run under each backend: the default
 * (WebAssembly SIMD, "wasm"), the packed TypeScript one (PURENN_BACKEND=js)
 * and the plain loops that define every operation (PURENN_BACKEND=reference).
 */
const numeric = [
  "test/gradcheck.test.ts", "test/parity.test.ts", "test/parity-sparse.test.ts", "test/layers-parity.test.ts",
  "test/losses-parity.test.ts", "test/optimizers-parity.test.ts", "test/threads.test.ts", "test/matmul.test.ts",
  "test/fit.test.ts", "test/kernel.test.ts", "test/conv-parity.test.ts",
];
/**
 * Gradients held as rows are the fast backends' (the reference holds every
 * gradient whole); model.test.ts trains under the default backend, and every
 * backend trains the tutorial's network in test/backend-training.test.ts.
 */
const fastOnly = ["test/row-gradient.test.ts"];

export default defineConfig({
  resolve: {
    // In-repo tests import the package by name, straight from source.
    alias: { purenn: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    // Two files at a time: vitest's default leaves one core idle on a 2-core machine, and many
    // tests wait on child processes, a browser or worker threads.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "default backend", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "js backend", include: [...numeric, ...fastOnly], env: { PURENN_BACKEND: "js" } } },
      { extends: true, test: { name: "reference backend", include: numeric, env: { PURENN_BACKEND: "reference" } } },
    ],
  },
});
