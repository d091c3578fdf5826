// Question: how many test digits per second does each engine classify
// (predict on the 10000 MNIST test images), same weights, in this run?
//   npm run bench -- predict
//   npm run bench -- predict --compare=DIR   this checkout against an older one, side by side (compare.ts)
import { Sequential, Dense, Activation, loadMnist, setRandomSeed, setThreads, threadsReady, argmax } from "../src/index.js";
import { tf, machine, useTfBackend, table, fixed, timeMedian, flag, pathFlag } from "./common.js";
import { compareCheckouts } from "./compare.js";

export async function benchPredict(): Promise<void> {
  const compare = pathFlag("compare");
  if (typeof compare === "string") return compareCheckouts("predict", compare);
  const mnist = await loadMnist();
  setRandomSeed(1);
  const model = new Sequential([
    new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(128), new Activation("relu"), new Dense(10), new Activation("softmax"),
  ]);
  const weights = model.getWeights();
  console.log(`\n## predict: predictions per second on the 10000 test images, ${machine()}\n`);
  const rows: (string | number)[][] = [];
  const times: Record<string, number> = {};
  for (const batchSize of [32, 1000]) {
    for (const threads of [1, 2]) {
      setThreads(threads);
      await threadsReady();
      times[`purenn ${threads}T ${batchSize}`] = timeMedian(() => model.predict(mnist.xTest, { batchSize }), { repeats: 5, warmup: 1, minMs: 0 });
    }
  }
  const ours = argmax(model.predict(mnist.xTest), 1);
  for (const backend of ["cpu", "wasm"] as const) {
    await useTfBackend(backend);
    const tfModel = tf.sequential({
      layers: [
        tf.layers.dense({ units: 256, inputShape: [784], activation: "sigmoid" }),
        tf.layers.dense({ units: 128, activation: "relu" }),
        tf.layers.dense({ units: 10, activation: "softmax" }),
      ],
    });
    tfModel.setWeights(weights.map((w) => (w.rows === 1 ? tf.tensor1d(w.data) : tf.tensor2d(w.data, [w.rows, w.cols]))));
    const xs = tf.tensor2d(mnist.xTest.data, [10000, 784]);
    const theirs = (tfModel.predict(xs) as tf.Tensor).argMax(1).dataSync();
    const agree = theirs.filter((v, i) => v === ours[i]).length;
    if (agree < 9990) throw new Error(`tfjs ${backend} predicts differently on ${10000 - agree} digits`);
    for (const batchSize of [32, 1000]) {
      times[`tfjs ${backend} ${batchSize}`] = timeMedian(() => tf.tidy(() => (tfModel.predict(xs, { batchSize }) as tf.Tensor).dataSync()), { repeats: 3, warmup: 1, minMs: 0 });
    }
    xs.dispose();
  }
  for (const [name, ms] of Object.entries(times)) {
    const batch = Number(name.split(" ").pop());
    const base = times[`purenn 1T ${batch}`];
    rows.push([name.replace(/ \d+$/, ""), batch, Math.round(10000 / (ms / 1000)), `${fixed(ms / base, 2)}x`]);
  }
  table(["engine", "batch", "predictions/s", "time vs purenn 1T"], rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchPredict();
  process.exit(0);
}
