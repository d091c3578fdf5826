// Convolutions and pooling: hand-worked fixtures, the fast backends against the
// reference loops, gradient checks for every layer, shapes, Keras's layout and
// the errors at the door.
import { describe, it, expect, afterAll } from "vitest";
import {
  Matrix, Sequential, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, Dense, Dropout,
  Activation, BatchNormalization, convnetModel, setRandomSeed, setBackend, getBackend, setThreads, threadsReady, type Layer,
} from "../src/index.js";
import { backend, type BackendName } from "../src/tensor/backend.js";
import { windowGeometry, type Padding } from "../src/tensor/conv-geometry.js";
import { wasmBackendProblem } from "../src/tensor/wasm-backend.js";
import { allocInt32 } from "../src/tensor/alloc.js";
import { getThreads, adaptToLoad, parallelRunCount } from "../src/tensor/threads.node.js";
import { checkLayer } from "./helpers/gradcheck.js";
import { bits, lcg, randomMatrix, randomOneHot } from "./helpers/data.js";

const initial = getBackend();
afterAll(() => setBackend(initial));

/** Runs f under each backend in turn, returning what each gave. */
function underEach<T>(names: BackendName[], f: () => T): Map<BackendName, T> {
  const out = new Map<BackendName, T>();
  for (const name of names) {
    setBackend(name);
    out.set(name, f());
  }
  setBackend(initial);
  return out;
}

/** max |a − b| / max |b|: products sum in another order than the reference's loops. */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? d : d / scale;
}

/** Keras's mnist_convnet as purenn exports it (model/tutorial.ts), which the CLI's --model cnn and the bench train. */
function mnistConvnet(): Sequential {
  return convnetModel();
}

describe("fixtures worked out by hand", () => {
  // The 3x3 image 1 … 9 (one channel).
  const image = Matrix.fromArray([[1, 2, 3, 4, 5, 6, 7, 8, 9]]);

  it("a 2x2 kernel of ones sums each window; 'same' pads with zeros below and to the right", () => {
    setRandomSeed(1);
    const valid = new Conv2D(1, { kernelSize: 2, kernelInitializer: "ones", inputShape: [3, 3, 1] });
    const same = new Conv2D(1, { kernelSize: 2, padding: "same", kernelInitializer: "ones", inputShape: [3, 3, 1] });
    for (const l of [valid, same]) l.buildFor([3, 3, 1]);
    expect(Array.from(valid.forward(image, false).data)).toEqual([12, 16, 24, 28]);
    // out = ⌈3/1⌉ = 3, total padding 1: none before, one after (TensorFlow's rule)
    expect(Array.from(same.forward(image, false).data)).toEqual([12, 16, 9, 24, 28, 15, 15, 17, 9]);
  });

  it("'same' with stride 2 pads ⌊total/2⌋ before: out = ⌈5/2⌉ = 3, total = 2·2 + 3 − 5 = 2, one on each side", () => {
    const g = windowGeometry([5, 5, 1], [3, 3], [2, 2], "same");
    expect([g.oh, g.ow, g.padTop, g.padLeft]).toEqual([3, 3, 1, 1]);
    const g2 = windowGeometry([6, 7, 1], [2, 3], [2, 2], "same");
    expect([g2.oh, g2.ow, g2.padTop, g2.padLeft]).toEqual([3, 4, 0, 1]);
    const v = windowGeometry([7, 6, 1], [3, 2], [2, 3], "valid");
    expect([v.oh, v.ow, v.padTop, v.padLeft]).toEqual([3, 2, 0, 0]);
  });

  it("max and average pooling of 2x2 windows; the max's gradient goes to where it was", () => {
    const x = Matrix.fromArray([[1, 5, 2, 0, 3, 4, 8, 6, 7, 9, 1, 2, 0, 2, 3, 4]]); // 4x4, one channel
    const max = new MaxPooling2D(), avg = new AveragePooling2D();
    for (const l of [max, avg]) l.buildFor([4, 4, 1]);
    expect(Array.from(max.forward(x, true).data)).toEqual([5, 8, 9, 4]);
    expect(Array.from(avg.forward(x, true).data)).toEqual([3.25, 4, 4.5, 2.5]);
    const dx = max.backward(Matrix.fromArray([[1, 2, 3, 4]]))!;
    expect(Array.from(dx.data)).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 4]);
  });

  it("GlobalAveragePooling2D takes each channel's mean; Flatten and Reshape pass the same Matrix through", () => {
    const x = Matrix.fromArray([[1, 10, 2, 20, 3, 30, 4, 40]]); // 2x2 image, 2 channels
    const gap = new GlobalAveragePooling2D();
    gap.buildFor([2, 2, 2]);
    expect(Array.from(gap.forward(x, false).data)).toEqual([2.5, 25]);
    const flatten = new Flatten(), reshape = new Reshape({ targetShape: [4, -1] });
    expect(flatten.buildFor([2, 2, 2])).toEqual([8]);
    expect(reshape.buildFor([8])).toEqual([4, 2]);
    expect(flatten.forward(x, true)).toBe(x);
    expect(reshape.backward(x)).toBe(x);
  });
});

describe("the fast backends agree with the reference loops", () => {
  const fast: BackendName[] = wasmBackendProblem() === undefined ? ["js", "wasm"] : ["js"];
  const cases: [number[], [number, number], [number, number], Padding, number, number][] = [
    // image [h, w, c], kernel, strides, padding, filters, batch
    [[7, 6, 3], [3, 2], [1, 1], "valid", 4, 3],
    [[7, 6, 3], [3, 2], [2, 1], "same", 5, 2],
    [[8, 9, 2], [4, 3], [2, 3], "same", 3, 2],
    [[5, 5, 2], [1, 1], [1, 1], "valid", 3, 2], // pointwise: no im2col
    [[1, 1, 4], [1, 1], [2, 2], "same", 2, 3],
    [[9, 8, 4], [3, 3], [2, 2], "same", 3, 2], // 4 channels: the wasm backend's SIMD copies and sums, edges around them
    [[6, 7, 8], [2, 3], [1, 2], "valid", 4, 2],
    [[13, 13, 32], [3, 3], [1, 1], "valid", 64, 2], // mnist_convnet's second convolution
  ];
  for (const [image, kernel, strides, padding, f, n] of cases) {
    it(`conv2d, its weight and input gradients, with and without bias: [${image}] ⋆ [${kernel}] strides [${strides}] ${padding}, ${f} filters, within 1e-5`, () => {
      const g = windowGeometry(image, kernel, strides, padding);
      const r = lcg(image[0] * 31 + f);
      const x = randomMatrix(n, image[0] * image[1] * image[2], r), K = randomMatrix(kernel[0] * kernel[1] * image[2], f, r);
      const b = randomMatrix(1, f, r), dy = randomMatrix(n, g.oh * g.ow * f, r);
      const results = underEach(["reference", ...fast], () => {
        const y = new Matrix(n, g.oh * g.ow * f), dK = new Matrix(K.rows, f), db = new Matrix(1, f), dx = new Matrix(n, x.cols);
        const y0 = new Matrix(n, g.oh * g.ow * f), dK0 = new Matrix(K.rows, f);
        for (const out of [y, dK, db, dx, y0, dK0]) out.data.fill(NaN); // every output value is written, never added to
        backend().conv2d(y, x, K, b, g);
        backend().conv2dWeightGradients(dK, db, x, dy, g);
        backend().conv2dInputGradient(dx, dy, K, g);
        backend().conv2d(y0, x, K, undefined, g); // without bias
        backend().conv2dWeightGradients(dK0, undefined, x, dy, g);
        return [y.data, dK.data, db.data, dx.data, y0.data, dK0.data];
      });
      const want = results.get("reference")!;
      for (const name of fast) {
        results.get(name)!.forEach((got, i) => expect(relativeDiff(got, want[i]), `${name} ${["y", "dK", "db", "dx", "y without bias", "dK without bias"][i]}`).toBeLessThan(1e-5));
      }
    });
  }

  it("pooling, max and average, 'valid' and 'same', 3 and 8 channels (SIMD in wasm), forward and backward: the same bits", () => {
    const r = lcg(9);
    for (const [padding, c] of [["valid", 3], ["same", 3], ["valid", 8], ["same", 8]] as const) {
      const g = windowGeometry([7, 5, c], [3, 2], [2, 2], padding);
      const x = randomMatrix(2, 35 * c, r), dy = randomMatrix(2, g.oh * g.ow * c, r);
      for (let i = 0; i + c < x.data.length; i += 7) x.data[i] = x.data[i + c]; // ties (a pixel and its right neighbour): the first maximum wins
      const results = underEach(["reference", ...fast], () => {
        const y = new Matrix(2, dy.cols), at = allocInt32(dy.data.length), dx = new Matrix(2, x.cols), ya = new Matrix(2, dy.cols), dxa = new Matrix(2, x.cols);
        for (const out of [y, dx, ya, dxa]) out.data.fill(NaN); // every output value is written, never added to
        backend().maxPool(y, at, x, g);
        backend().maxPoolBackward(dx, dy, at);
        backend().avgPool(ya, x, g);
        backend().avgPoolBackward(dxa, dy, g);
        return Buffer.concat([bits(y), bits(dx), bits(ya), bits(dxa), Buffer.from(at.buffer, at.byteOffset, at.byteLength)]);
      });
      for (const name of fast) expect(results.get(name)!.equals(results.get("reference")!), `${name} ${padding} ${c} channels`).toBe(true);
    }
  });
});

describe("gradient checks (centred differences, tolerance and step in helpers/gradcheck.ts)", () => {
  const built = (layer: Layer, shape: number[]) => {
    layer.buildFor(shape);
    return layer;
  };
  const cases: [string, () => Layer, number[]][] = [
    ["Conv2D valid, 3x2 kernel, tanh", () => new Conv2D(3, { kernelSize: [3, 2], activation: "tanh" }), [5, 4, 2]],
    ["Conv2D same, strides [2, 1], l2 on both weights", () => new Conv2D(2, { kernelSize: 3, strides: [2, 1], padding: "same", kernelRegularizer: "l2", biasRegularizer: "l2" }), [5, 4, 2]],
    ["Conv2D without bias, stride 2 valid", () => new Conv2D(2, { kernelSize: [2, 3], strides: 2, useBias: false }), [6, 7, 1]],
    ["MaxPooling2D 2x2", () => new MaxPooling2D(), [4, 6, 2]],
    ["MaxPooling2D 3x2 strides 2 same", () => new MaxPooling2D({ poolSize: [3, 2], strides: 2, padding: "same" }), [5, 5, 2]],
    ["AveragePooling2D 3x2 strides [1, 2] same", () => new AveragePooling2D({ poolSize: [3, 2], strides: [1, 2], padding: "same" }), [4, 5, 2]],
    ["GlobalAveragePooling2D", () => new GlobalAveragePooling2D(), [3, 4, 3]],
    ["Flatten", () => new Flatten(), [3, 2, 2]],
    ["Reshape", () => new Reshape({ targetShape: [6, 2] }), [3, 2, 2]],
  ];
  for (const [name, make, shape] of cases) {
    it(name, () => {
      setRandomSeed(3);
      const layer = built(make(), shape);
      const r = lcg(name.length);
      // Values 0.05 apart in random order: a step of h = 0.01 never changes which pixel is a window's max.
      const x = new Matrix(2, shape.reduce((a, b) => a * b, 1));
      const order = Array.from(x.data, (_, i) => i).sort(() => r() - 0.5);
      order.forEach((k, i) => (x.data[k] = 0.05 * (i - order.length / 2)));
      checkLayer(layer, x, r);
    });
  }
});

describe("shapes, Keras's layout and summary", () => {
  it("summary() prints Keras's shapes and parameter counts for mnist_convnet", () => {
    const text = mnistConvnet().summary(() => {});
    for (const [shape, params] of [["(None, 26, 26, 32)", 320], ["(None, 13, 13, 32)", 0], ["(None, 11, 11, 64)", 18496], ["(None, 5, 5, 64)", 0], ["(None, 1600)", 0], ["(None, 10)", 16010]] as const) {
      expect(text).toMatch(new RegExp(`\\${shape.replace(")", "\\)")}\\s+${params}\\s`));
    }
    expect(text).toContain("Total params: 34,826");
  });

  it("a Conv2D kernel is kh·kw·cin x filters (Keras's [kh, kw, cin, filters] row-major), bias 1 x filters; Glorot limits from Keras's fans", () => {
    setRandomSeed(5);
    const model = new Sequential([new Conv2D(4, { kernelSize: [3, 2], inputShape: [6, 5, 3] })]);
    const [K, b] = model.getWeights();
    expect([K.rows, K.cols, b.rows, b.cols]).toEqual([18, 4, 1, 4]);
    const limit = Math.sqrt(6 / (3 * 2 * 3 + 3 * 2 * 4)); // fanIn = kh·kw·cin, fanOut = kh·kw·filters
    const largest = Math.max(...Array.from(K.data, Math.abs));
    expect(largest).toBeLessThanOrEqual(limit);
    expect(largest).toBeGreaterThan(0.8 * limit);
    // K(p, q, c, o) at row (p·kw + q)·cin + c: a kernel that is 1 at (p, q, c) = (1, 0, 2) for filter 3 reads x(i + 1, j, 2).
    const one = new Matrix(18, 4);
    one.data[((1 * 2 + 0) * 3 + 2) * 4 + 3] = 1;
    model.setWeights([one, new Matrix(1, 4)]);
    const x = randomMatrix(1, 90, lcg(2));
    const y = model.predict(x);
    expect(y.get(0, ((2 * 4 + 1) * 4) + 3)).toBe(x.get(0, ((3 * 5 + 1) * 3) + 2)); // y(2, 1, 3) = x(3, 1, 2)
  });

  it("loadMnist-shaped rows (n x 784) feed Conv2D({ inputShape: [28, 28, 1] }) directly: fit, evaluate, predict", async () => {
    setRandomSeed(7);
    const model = mnistConvnet();
    model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const r = lcg(4);
    const x = randomMatrix(20, 784, r, 0, 1), y = randomOneHot(20, 10, r);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    expect(model.predict(x).rows).toBe(20);
    expect(model.evaluate(x, y, { verbose: 0 }).length).toBe(2);
  });
});

describe("errors at the door, naming the value and what was expected", () => {
  it("bad options and shapes", () => {
    expect(() => new Conv2D(8, { kernelSize: 5, inputShape: [4, 4, 1] })).toThrow(/Conv2D\(8\) kernelSize \[5, 5\] is larger than its input images \(None, 4, 4, 1\) with padding "valid"/);
    expect(() => new Conv2D(8, { kernelSize: 3, strides: 0 })).toThrow(/Conv2D\(8\) strides must be a positive integer or a pair of them, such as 3 or \[3, 3\], got 0/);
    expect(() => new Conv2D(8, { kernelSize: [3, -1] })).toThrow(/kernelSize .* got \[3,-1\]/);
    expect(() => new Conv2D(0, { kernelSize: 3 })).toThrow(/Conv2D filters must be a positive integer, got 0/);
    expect(() => new Conv2D(8, {} as never)).toThrow(/Conv2D\(8\) needs kernelSize/);
    expect(() => new Conv2D(8, { kernelSize: 3, kernel_size: 3 } as never)).toThrow(/unknown option "kernel_size" \(did you mean kernelSize\?\)/);
    expect(() => new Conv2D(8, { kernelSize: 3, padding: "full" as never })).toThrow(/padding must be "valid" or "same", got "full"/);
    expect(() => new Conv2D(8, { kernelSize: 3, inputShape: [28, 28] })).toThrow(/inputShape must be \[height, width, channels\] of positive integers, got \[28,28\]/);
    expect(() => new MaxPooling2D({ poolSize: 2, pool_size: 2 } as never)).toThrow(/unknown option "pool_size" \(did you mean poolSize\?\)/);
    expect(() => new Reshape({ targetShape: [5, 5] , inputShape: [28, 28, 1] })).toThrow(/Reshape\(\[5, 5\]\) cannot hold the 784 values of an input row of shape \(None, 28, 28, 1\)/);
    expect(() => new Sequential([new Dense(10, { inputDim: 784 }), new Conv2D(2, { kernelSize: 3 })])).toThrow(/Conv2D\(2\) takes images, rows of shape \[height, width, channels\], got input of shape \(None, 10\)/);
    expect(() => new Sequential([new Conv2D(2, { kernelSize: 3, inputShape: [8, 8, 1] }), new Dense(10)])).toThrow(/Dense\(10\) takes flat rows, one vector per sample, got input of shape \(None, 6, 6, 2\); add Flatten\(\) before it/);
    expect(() => new Sequential([new Conv2D(2, { kernelSize: 3, inputShape: [8, 8, 1] }), new BatchNormalization()])).toThrow(/BatchNormalization\(\) takes flat rows/);
    expect(() => new Sequential([new Conv2D(2, { kernelSize: 3, inputShape: [4, 4, 1] }), new Conv2D(2, { kernelSize: 3 })])).toThrow(/Conv2D\(2\) kernelSize \[3, 3\] is larger than its input images \(None, 2, 2, 2\)/);
  });

  it("data whose width is not the product of inputShape, before any work", async () => {
    const model = mnistConvnet();
    model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
    const before = model.getWeights().map((w) => Buffer.from(bits(w)));
    await expect(model.fit(new Matrix(4, 783), new Matrix(4, 10), { verbose: 0 })).rejects.toThrow(/Conv2D\(32\) expects input of 784 columns, got \[4, 783\]/);
    expect(() => model.predict(new Matrix(2, 28))).toThrow(/expects input of 784 columns, got \[2, 28\]/);
    model.getWeights().forEach((w, i) => expect(Buffer.from(bits(w)).equals(before[i])).toBe(true));
  });

  it("a Conv2D first layer without inputShape says to give one", async () => {
    const model = new Sequential([new Conv2D(2, { kernelSize: 3 }), new Flatten(), new Dense(2)]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await expect(model.fit(new Matrix(2, 16), new Matrix(2, 2), { verbose: 0 })).rejects.toThrow(/Conv2D\(2\) takes images, .* got input of shape \(None, 16\); give the first layer inputShape/);
  });
});

// Threads are a scheduler under the fast backends' products: the convolutions must not change a bit with their number.
describe.skipIf(getBackend() === "reference")("worker threads", () => {
  afterAll(() => {
    setThreads(1);
    adaptToLoad(true);
  });

  it("a CNN trains bit-identically on 1 and 2 threads", async () => {
    const r = lcg(11);
    const x = randomMatrix(64, 14 * 14, r, 0, 1), y = randomOneHot(64, 10, r);
    const weights: Buffer[] = [];
    for (const threads of [1, 2]) {
      adaptToLoad(false);
      setThreads(threads);
      await threadsReady(120_000);
      expect(getThreads()).toBe(threads);
      setRandomSeed(13);
      const model = new Sequential([
        new Conv2D(16, { kernelSize: 3, padding: "same", activation: "relu", inputShape: [14, 14, 1] }),
        new MaxPooling2D(),
        new Conv2D(32, { kernelSize: 3, activation: "relu" }),
        new GlobalAveragePooling2D(),
        new Dense(10, { activation: "softmax" }),
      ]);
      model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
      const before = parallelRunCount();
      await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
      if (threads > 1) expect(parallelRunCount(), "products were split across threads").toBeGreaterThan(before);
      weights.push(Buffer.concat(model.getWeights().map((w) => Buffer.from(bits(w)))));
    }
    expect(weights[1].equals(weights[0])).toBe(true);
  });
});

// Activation after a convolution keeps the image shape.
it("Activation and Dropout keep an image's shape", () => {
  const model = new Sequential([new Conv2D(2, { kernelSize: 1, inputShape: [3, 3, 1] }), new Activation("relu"), new Dropout(0.1), new MaxPooling2D({ poolSize: 3 })]);
  expect(model.outputShape).toEqual([1, 1, 2]);
});
