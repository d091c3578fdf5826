// The tutorial's network trained under each backend from the same weights: the same losses to 1e-4.
import { describe, it, expect, afterAll } from "vitest";
import { tutorialModel, setRandomSeed, setBackend, getBackend, SGD, type BackendName } from "../src/index.js";
import { wasmBackendProblem } from "../src/tensor/wasm-backend.js";
import { blobs } from "./helpers/data.js";

const initial = getBackend();
afterAll(() => setBackend(initial));

describe("training under every backend", () => {
  it("gives the same per-epoch losses to 1e-4 on the tutorial network (MNIST-like input, black borders)", async () => {
    const { x, y } = blobs(512, 784, 10, 11);
    for (let i = 0; i < 512; i++) for (let j = 0; j < 784; j++) if (j % 28 < 4 || j < 112) x.data[i * 784 + j] = 0;
    const backends: BackendName[] = ["reference", "js", ...(wasmBackendProblem() === undefined ? ["wasm" as const] : [])];
    const losses = new Map<BackendName, number[]>();
    for (const name of backends) {
      setBackend(name);
      setRandomSeed(3);
      const model = tutorialModel();
      model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy" });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
      losses.set(name, history.history.loss);
    }
    const ref = losses.get("reference")!;
    expect(ref[2], "it learns").toBeLessThan(ref[0]);
    for (const name of backends) {
      const diffs = losses.get(name)!.map((l, e) => Math.abs(l - ref[e]));
      expect(Math.max(...diffs), `${name} against reference: ${losses.get(name)} vs ${ref}`).toBeLessThan(1e-4);
    }
  });
});
