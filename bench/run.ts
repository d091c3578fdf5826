// npm run bench [-- matmul|train|predict|versus|busy|stress|profile|conv ...] [--quick]: every benchmark, or the ones named
// (busy, stress, profile and conv only when named: they take many minutes).
// Never run in CI: it takes minutes and its figures only mean something side by side.
import { benchMatmul } from "./matmul.js";
import { benchTrain } from "./train.js";
import { benchPredict } from "./predict.js";
import { benchBusy } from "./busy.js";
import { benchStress } from "./stress.js";
import { benchVersus } from "./versus.js";
import { benchProfile } from "./profile.js";
import { benchConv } from "./conv.js";

const all: Record<string, () => Promise<unknown>> = {
  matmul: benchMatmul, predict: benchPredict, train: benchTrain, busy: benchBusy, stress: benchStress, versus: benchVersus, profile: benchProfile, conv: benchConv,
};
const byDefault = ["matmul", "predict", "train", "versus"]; // versus last: its table (purenn against PyTorch, row by row) ends the report
const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
// The options the benchmarks read (bench/*.ts: flag, intFlag, pathFlag); a misspelt one is refused, not ignored.
const OPTIONS = ["quick", "rounds", "samples", "batch", "threads", "compare", "busy", "runs", "fits", "silent", "repo"];
for (const a of process.argv.slice(2).filter((x) => x.startsWith("--"))) {
  const name = a.slice(2).split("=")[0];
  if (!OPTIONS.includes(name)) {
    console.error(`unknown option "${a}"; known: ${OPTIONS.map((o) => `--${o}`).join(", ")}`);
    process.exit(2);
  }
}
for (const name of named) {
  if (!(name in all)) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
}
for (const name of named.length ? named : byDefault) await all[name]();
process.exit(0);
