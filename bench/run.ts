// npm run bench [-- matmul|train|predict ...] [--quick]: every benchmark, or the ones named.
// Never run in CI: it takes minutes and its figures only mean something side by side.
import { benchMatmul } from "./matmul.js";
import { benchTrain } from "./train.js";
import { benchPredict } from "./predict.js";

const all: Record<string, () => Promise<unknown>> = { matmul: benchMatmul, predict: benchPredict, train: benchTrain };
const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
for (const name of named) {
  if (!(name in all)) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
}
for (const name of named.length ? named : Object.keys(all)) await all[name]();
process.exit(0);
