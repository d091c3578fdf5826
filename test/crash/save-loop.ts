// Child process for test/crash.test.ts: saves two different models into one
// folder, alternately, as fast as it can, until it is killed — or, if nobody
// kills it, for 20 seconds at most.
import { Sequential, Dense, Activation, setRandomSeed } from "../../src/index.js";

export function crashModel(seed: number): Sequential {
  setRandomSeed(seed);
  return new Sequential([new Dense(64, { inputDim: 100, activation: "relu" }), new Dense(10), new Activation("softmax")]);
}

if (process.argv[2]) {
  const dir = process.argv[2];
  const models = [crashModel(1), crashModel(2)];
  await models[0].save(dir);
  process.stdout.write("ready\n");
  const until = Date.now() + 20_000;
  for (let i = 1; Date.now() < until; i++) await models[i % 2].save(dir);
}
