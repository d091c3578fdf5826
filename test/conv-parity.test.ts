// Convolutional networks against TensorFlow.js ('cpu', float32) on the same
// weights and data: predict, one SGD step, and save / load in both directions.
// Paddings "same" and "valid", strides 1 and 2, non-square kernels and pools,
// several channels. Tolerances: 1e-5 on outputs and weights after a step
// (both engines compute in float32 but sum in different orders; the values
// here are of order 1, so that is ~100 ulps of headroom).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  Matrix, Sequential, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, Dense, SGD,
  setRandomSeed, loadModel, type Layer,
} from "../src/index.js";
import { useTfjsCpu, copyWeights, tfjsWeights, saveTfjsFolder } from "./helpers/tfjs.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";

const TOLERANCE = 1e-5;
let dir: string;
beforeAll(async () => {
  await useTfjsCpu();
  dir = await mkdtemp(join(tmpdir(), "purenn-conv-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** One network in both engines: [purenn layer, tfjs layer] per line. */
interface Net {
  name: string;
  input: number;
  classes: number;
  layers: () => [Layer, tf.layers.Layer][];
  /**
   * false: compare predict only. TensorFlow.js 4.22's AvgPoolGrad divides every
   * window's gradient by kh·kw, also where "same" padding leaves fewer pixels in
   * it, while its forward (and Keras, and purenn) divides by the pixels inside:
   * its step is not the derivative of its own function there. purenn's is (the
   * gradient check of AveragePooling2D "same" in conv.test.ts).
   */
  step?: boolean;
}

const nets: Net[] = [
  {
    name: "3x2 kernel valid, relu; 2x2 max pool; Flatten",
    input: 7 * 6 * 2, classes: 4,
    layers: () => [
      [new Conv2D(3, { kernelSize: [3, 2], activation: "relu", inputShape: [7, 6, 2] }), tf.layers.conv2d({ filters: 3, kernelSize: [3, 2], activation: "relu", inputShape: [7, 6, 2] })],
      [new MaxPooling2D(), tf.layers.maxPooling2d({ poolSize: 2 })],
      [new Flatten(), tf.layers.flatten()],
      [new Dense(4, { activation: "softmax" }), tf.layers.dense({ units: 4, activation: "softmax" })],
    ],
  },
  {
    name: "stride 2 same, tanh; 2x2 average pool stride 1 valid; 2x3 kernel strides [1, 2] same; global average",
    input: 8 * 7 * 3, classes: 4,
    layers: () => [
      [new Conv2D(4, { kernelSize: 3, strides: 2, padding: "same", activation: "tanh", inputShape: [8, 7, 3] }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "tanh", inputShape: [8, 7, 3] })],
      [new AveragePooling2D({ poolSize: 2, strides: 1 }), tf.layers.averagePooling2d({ poolSize: 2, strides: 1 })],
      [new Conv2D(5, { kernelSize: [2, 3], strides: [1, 2], padding: "same" }), tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], padding: "same" })],
      [new GlobalAveragePooling2D(), tf.layers.globalAveragePooling2d({})],
      [new Dense(4, { activation: "softmax" }), tf.layers.dense({ units: 4, activation: "softmax" })],
    ],
  },
  {
    name: "2x2 average pool stride 1 same (predict only)",
    input: 5 * 4 * 2, classes: 3, step: false,
    layers: () => [
      [new AveragePooling2D({ poolSize: 2, strides: 1, padding: "same", inputShape: [5, 4, 2] }), tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: "same", inputShape: [5, 4, 2] })],
      [new Flatten(), tf.layers.flatten()],
      [new Dense(3, { activation: "softmax" }), tf.layers.dense({ units: 3, activation: "softmax" })],
    ],
  },
  {
    name: "Reshape; 1x3 kernel strides [2, 1] valid; 3x2 max pool stride 2 same; 3x3 average pool valid; Flatten",
    input: 81, classes: 3,
    layers: () => [
      [new Reshape({ targetShape: [9, 9, 1], inputShape: [81] }), tf.layers.reshape({ targetShape: [9, 9, 1], inputShape: [81] })],
      [new Conv2D(6, { kernelSize: [1, 3], strides: [2, 1], activation: "relu" }), tf.layers.conv2d({ filters: 6, kernelSize: [1, 3], strides: [2, 1], activation: "relu" })],
      [new MaxPooling2D({ poolSize: [3, 2], strides: 2, padding: "same" }), tf.layers.maxPooling2d({ poolSize: [3, 2], strides: 2, padding: "same" })],
      [new AveragePooling2D({ poolSize: 2, padding: "valid" }), tf.layers.averagePooling2d({ poolSize: 2, padding: "valid" })],
      [new Flatten(), tf.layers.flatten()],
      [new Dense(3, { activation: "softmax" }), tf.layers.dense({ units: 3, activation: "softmax" })],
    ],
  },
];

function twins(net: Net, seed: number): { ours: Sequential; theirs: tf.Sequential } {
  setRandomSeed(seed);
  const pairs = net.layers();
  const ours = new Sequential(pairs.map(([o]) => o));
  const theirs = tf.sequential({ layers: pairs.map(([, t]) => t) });
  copyWeights(ours, theirs);
  return { ours, theirs };
}

/** x's rows as tfjs wants them: [n, ...the model's input shape] (purenn's rows are that array, row-major). */
function toTensor(m: Matrix, t: tf.LayersModel): tf.Tensor {
  return tf.tensor(m.data, [m.rows, ...(t.inputs[0].shape.slice(1) as number[])]);
}

function tfjsPredict(t: tf.LayersModel, x: Matrix): Float32Array {
  return tf.tidy(() => (t.predict(toTensor(x, t)) as tf.Tensor).dataSync() as Float32Array);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe("TensorFlow.js parity for convolutional networks", () => {
  nets.forEach((net, k) => {
    describe(net.name, () => {
      const r = lcg(100 + k);
      const x = randomMatrix(6, net.input, r), y = randomOneHot(6, net.classes, r);

      it(`predict within ${TOLERANCE}`, () => {
        const { ours, theirs } = twins(net, 10 + k);
        const d = maxDiff(ours.predict(x).data, tfjsPredict(theirs, x));
        expect(d, `largest difference ${d}`).toBeLessThan(TOLERANCE);
      });

      it.skipIf(net.step === false)(`one SGD step (learning rate 0.5): every weight within ${TOLERANCE}`, async () => {
        const { ours, theirs } = twins(net, 20 + k);
        ours.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: "categorical_crossentropy" });
        theirs.compile({ optimizer: tf.train.sgd(0.5), loss: "categoricalCrossentropy" });
        await ours.fit(x, y, { batchSize: 6, epochs: 1, shuffle: false, verbose: 0 });
        const [xt, yt] = [toTensor(x, theirs), tf.tensor2d(y.data, [y.rows, y.cols])];
        await theirs.fit(xt, yt, { batchSize: 6, epochs: 1, shuffle: false, verbose: 0 });
        tf.dispose([xt, yt]);
        const want = tfjsWeights(theirs), got = ours.getWeights();
        let moved = 0;
        got.forEach((w, i) => {
          const d = maxDiff(w.data, want[i]);
          expect(d, `weight ${i} ([${w.rows}, ${w.cols}]): largest difference ${d}`).toBeLessThan(TOLERANCE);
          moved = Math.max(moved, maxDiff(w.data, twins(net, 20 + k).ours.getWeights()[i].data));
        });
        expect(moved, "the step moved the weights").toBeGreaterThan(1e-3);
      });
    });
  });

  it("purenn → TensorFlow.js: tf.loadLayersModel reads the saved CNN and predicts the same", async () => {
    for (const [k, net] of nets.entries()) {
      const { ours } = twins(net, 30 + k);
      const folder = join(dir, `ours-${k}`);
      await ours.save(folder);
      const json = JSON.parse(await readFile(join(folder, "model.json"), "utf8"));
      const weightData = new Uint8Array(await readFile(join(folder, "weights.bin"))).buffer;
      const t = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
      const x = randomMatrix(5, net.input, lcg(k));
      const d = maxDiff(ours.predict(x).data, tfjsPredict(t, x));
      expect(d, `${net.name}: largest difference ${d}`).toBeLessThan(TOLERANCE);
    }
  });

  it("TensorFlow.js → purenn: loadModel reads a CNN TF.js saved and predicts the same", async () => {
    for (const [k, net] of nets.entries()) {
      const theirs = tf.sequential({ layers: net.layers().map(([, t]) => t) });
      const folder = await saveTfjsFolder(theirs, join(dir, `theirs-${k}`));
      const ours = await loadModel(folder);
      expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
      const x = randomMatrix(5, net.input, lcg(k + 7));
      const d = maxDiff(ours.predict(x).data, tfjsPredict(theirs, x));
      expect(d, `${net.name}: largest difference ${d}`).toBeLessThan(TOLERANCE);
      expect(ours.getWeights()[0].data.length).toBe(theirs.getWeights()[0].size);
    }
  });

  it("a saved Conv2D kernel has Keras's shape [kh, kw, cin, filters] in the manifest", async () => {
    const { ours } = twins(nets[0], 40);
    const folder = join(dir, "shapes");
    await ours.save(folder);
    const json = JSON.parse(await readFile(join(folder, "model.json"), "utf8"));
    expect(json.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual([[3, 2, 2, 3], [3], [12, 4], [4]]);
    expect(json.modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, 7, 6, 2]);
  });
});
