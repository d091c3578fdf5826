// Child process for test/crash.test.ts: saves two different models into one
// folder, alternately, as fast as it can, until it is killed.
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
  for (let i = 1; ; i++) await models[i % 2].save(dir);
}
