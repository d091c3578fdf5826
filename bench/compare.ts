// Question: is this checkout as fast as an older one (DIR: a worktree of another commit with
// node_modules linked), at training and predicting, in this run?
//   npm run bench -- train --compare=DIR [--rounds=5] [--quick]
//   npm run bench -- predict --compare=DIR [--rounds=5] [--quick]
//   (e.g. git worktree add /tmp/old COMMIT && ln -s "$PWD/node_modules" /tmp/old/node_modules)
// Both run this checkout's bench/rows-child.ts, importing their own src/index.ts (--repo), in fresh
// processes, old and new interleaved round by round (old first in odd rounds, new first in even
// ones) so that both share the machine's noise: train is an epoch of 60000 samples at batch 32
// and 128, predict the 10000 test images at batch 32, 128 and all at once; each on purenn's
// default threads and on 1 thread. Printed: the medians of old and new, new/old of the medians,
// and the median of the rounds' own new/old (each round's pair ran side by side).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadMnist } from "../src/index.js";
import { machine, table, fixed, flag, intFlag } from "./common.js";
import { median } from "./children.js";
import { benchFiles } from "./torch.js";
import { runRow, duration, type Row } from "./rows.js";

interface Pair {
  row: Row;
  threads: number | undefined;
  old: number[];
  new: number[];
}

export async function compareCheckouts(what: "train" | "predict", dir: string): Promise<void> {
  const old = resolve(dir);
  if (!existsSync(join(old, "src/index.ts"))) throw new Error(`--compare=${dir}: no purenn checkout there (no src/index.ts)`);
  if (!existsSync(join(old, "node_modules"))) throw new Error(`--compare=${dir}: link node_modules into it: ln -s ${resolve("node_modules")} ${join(old, "node_modules")}`);
  const quick = flag("quick") === true;
  const rounds = intFlag("rounds", quick ? 2 : 5);
  const rows: Row[] =
    what === "train"
      ? [32, 128].map((batch) => ({ label: `epoch, batch ${batch}`, job: "fit", batch, samples: quick ? 20000 : 60000 }))
      : [32, 128, 0].map((batch) => ({ label: `predict 10k, ${batch ? `batch ${batch}` : "all at once"}`, job: "predict", batch, samples: 10000 }));
  console.log(`\n## ${what} --compare: this checkout (new) against ${old} (old), ${rounds} rounds interleaved, ${machine()}\n`);
  const files = benchFiles(await loadMnist(), []);
  const pairs: Pair[] = [];
  try {
    for (const row of rows) {
      for (const threads of [undefined, 1]) {
        const pair: Pair = { row, threads, old: [], new: [] };
        for (let r = 0; r < rounds; r++) {
          for (const side of r % 2 === 0 ? (["old", "new"] as const) : (["new", "old"] as const)) {
            const run = await runRow(row, files.dir, row.job === "predict" ? 5 : 1, { repo: side === "old" ? old : undefined, threads });
            pair[side].push(median(run.seconds));
          }
        }
        console.log(`  ${row.label}, ${threads ? "1 thread" : "default"}: old ${pair.old.map((s) => duration(s, row.job)).join(", ")}; new ${pair.new.map((s) => duration(s, row.job)).join(", ")}`);
        pairs.push(pair);
      }
    }
  } finally {
    files.remove();
  }
  console.log("");
  table(
    ["work", "threads", "old (median)", "new (median)", "new / old", "median of each round's new / old", "rounds new faster"],
    pairs.map((p) => {
      const ratios = p.new.map((t, i) => t / p.old[i]);
      return [
        p.row.label, p.threads ? "1" : "default", duration(median(p.old), p.row.job), duration(median(p.new), p.row.job),
        `${fixed(median(p.new) / median(p.old), 2)}x`, `${fixed(median(ratios), 2)}x`, `${ratios.filter((q) => q <= 1).length} of ${ratios.length}`,
      ];
    }),
  );
  console.log("\nnew / old is a ratio of times: below 1.00x the new checkout is faster. train: one epoch per process after a warm-up; predict: the median of 5 per process.");
}
