// npm run bench [-- matmul|train|predict|busy|stress|conv ...] [--quick]: every benchmark, or the ones named
// (busy, stress and conv only when named: they take many minutes).
// Never run in CI: it takes minutes and its figures only mean something side by side.
import { benchMatmul } from "./matmul.js";
import { benchTrain } from "./train.js";
import { benchPredict } from "./predict.js";
import { benchBusy } from "./busy.js";
import { benchStress } from "./stress.js";
import { benchConv } from "./conv.js";

const all: Record<string, () => Promise<unknown>> = { matmul: benchMatmul, predict: benchPredict, train: benchTrain, busy: benchBusy, stress: benchStress, conv: benchConv };
const byDefault = ["matmul", "predict", "train"];
const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
for (const name of named) {
  if (!(name in all)) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
}
for (const name of named.length ? named : byDefault) await all[name]();
process.exit(0);
