/**
 * `npm run demo`: train (or load) the tutorial's network, then serve a page
 * on 127.0.0.1 where you draw a digit and watch the network read it.
 *
 *   npm run demo                          train 1 epoch (the tutorial's SGD, lr 0.01; ~20-30 s), serve
 *   npm run demo -- --epochs 5 --learning-rate 0.1    train longer, better at reading your digits
 *   npm run demo -- --load DIR            serve a saved model (purenn's or TensorFlow.js's files)
 *   npm run demo -- --port 8080           choose the port (default: any free port)
 */
import { parseArgs } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SGD, tutorialModel, loadMnist, toCategorical, setRandomSeed, threadsReady } from "../index.js";
import { startDemoServer } from "./server.node.js";

const HELP = `Usage: npm run demo -- [options]

Trains the Keras tutorial's 784-256-128-10 network on MNIST (or loads a saved
model) and serves a page on 127.0.0.1 where you draw a digit and see the ten
class probabilities change as you draw.

Options:
  --load DIR          serve the model saved in DIR (by purenn or TensorFlow.js)
                      instead of training one
  --epochs N          epochs of training (default 1: quick, about 85% on the
                      test set; 5 epochs with --learning-rate 0.1 read drawn
                      digits better)
  --learning-rate X   SGD step size (default 0.01, the tutorial's)
  --seed N            seed every random draw
  --save DIR          keep the trained model in DIR (default: a temporary folder)
  --port N            port on 127.0.0.1 (default 0: any free port)
  -h, --help          show this help`;

function number(flag: string, text: string | undefined, fallback: number, ok: (n: number) => boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !ok(n)) throw new Error(`${flag}: invalid value "${text}" (see --help)`);
  return n;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      load: { type: "string" }, epochs: { type: "string" }, "learning-rate": { type: "string" },
      seed: { type: "string" }, save: { type: "string" }, port: { type: "string" }, help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (v.help) return console.log(HELP);
  const epochs = number("--epochs", v.epochs, 1, (n) => Number.isInteger(n) && n >= 1);
  const learningRate = number("--learning-rate", v["learning-rate"], 0.01, (n) => n > 0 && Number.isFinite(n));
  const port = number("--port", v.port, 0, (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
  if (v.seed !== undefined) setRandomSeed(number("--seed", v.seed, 0, Number.isInteger));

  if (v.load !== undefined && v.save !== undefined) throw new Error("--save goes with training; with --load there is nothing new to save");
  let modelDir = v.load;
  let temporary: string | undefined;
  let about = v.load === undefined ? undefined : `saved in ${v.load}`;
  if (modelDir === undefined) {
    // Let the matmul workers start before the first product (a product dispatched while a
    // worker is starting can wait forever: a start-up race in src/tensor/gemm-worker.node.ts).
    await threadsReady();
    const mnist = await loadMnist();
    const model = tutorialModel();
    model.compile({ optimizer: new SGD({ learningRate }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
    console.log(`Training the tutorial's network for ${epochs} epoch${epochs === 1 ? "" : "s"} (SGD, learning rate ${learningRate}) on ${mnist.xTrain.rows} MNIST digits…`);
    await model.fit(mnist.xTrain, toCategorical(mnist.yTrain, 10), { epochs, verbose: 1 });
    const [, accuracy] = model.evaluate(mnist.xTest, toCategorical(mnist.yTest, 10), { verbose: 0 });
    console.log(`Test accuracy ${accuracy.toFixed(4)}.`);
    about = `trained by \`npm run demo\` for ${epochs} epoch${epochs === 1 ? "" : "s"} of SGD at learning rate ${learningRate}, ${(100 * accuracy).toFixed(1)}% on the test set`;
    modelDir = v.save ?? (temporary = await mkdtemp(join(tmpdir(), "purenn-demo-")));
    await model.save(modelDir);
  }

  const server = await startDemoServer({ modelDir, port, about }); // reads the folder as the page will, or says why it cannot
  if (v.load !== undefined) console.log(`Serving the model in ${modelDir} (${server.model.inputDim} → ${server.model.outputDim}).`);
  console.log(`\nDraw a digit at ${server.url}  (Ctrl+C stops the server)`);
  const stop = async () => {
    await server.close();
    if (temporary) await rm(temporary, { recursive: true, force: true });
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((e: Error) => {
  console.error(`purenn demo: ${e.message}`);
  process.exit(1);
});
