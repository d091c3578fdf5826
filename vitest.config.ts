import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

/**
 * The numeric tests (gradient checks, TensorFlow.js parity, bit-identical
 * training across thread counts) run twice: under the default kernel
 * (WebAssembly SIMD) and under the plain TypeScript one (PURENN_KERNEL=js).
 */
const numeric = [
  "test/gradcheck.test.ts", "test/parity.test.ts", "test/parity-sparse.test.ts", "test/layers-parity.test.ts",
  "test/losses-parity.test.ts", "test/optimizers-parity.test.ts", "test/threads.test.ts", "test/matmul.test.ts",
  "test/model.test.ts", "test/fit.test.ts", "test/kernel.test.ts", "test/row-gradient.test.ts",
];

export default defineConfig({
  resolve: {
    // In-repo tests import the package by name, straight from source.
    alias: { purenn: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "default kernel", include: ["test/**/*.test.ts"] } },
      { extends: true, test: { name: "js kernel", include: numeric, env: { PURENN_KERNEL: "js" } } },
    ],
  },
});
