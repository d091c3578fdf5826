// Question: is purenn, on its default settings, at least as fast as PyTorch at every batch size,
// on a fresh model's first fit and in predict, in this run? And at what
// GFLOP/s, and with how much memory?
//   npm run bench -- versus [--quick] [--rounds=3]
// Each row runs in fresh processes, purenn's (bench/rows-child.ts) and PyTorch's on 1 and 2
// threads (bench/torch_reference.py), interleaved round by round so that they share this
// machine's noise; both read the same files (the same samples, the same starting weights).
//   purenn     the median of every timing of its processes (warmed up, except the first fit)
//   PyTorch    for each thread count the best of its processes (one timing each, warmed up
//              except the first fit); "best" is the faster thread count
//   GFLOP/s    nominal FLOPs (bench/rows.ts: dense 2·m·k·n per product, forward + backward)
//              over the time; purenn skips all-zero input columns, so it does fewer
//   peak RSS   the largest of the row's processes, each its own getrusage maxrss: both hold
//              the 60000 training images (188 MB as float32) for the training rows
import { loadMnist, setRandomSeed, tutorialModel } from "../src/index.js";
import { machine, table, fixed, flag, intFlag } from "./common.js";
import { median } from "./children.js";
import { torchVersion, benchFiles, runTorch } from "./torch.js";
import { nominalFlops, runRow, duration, type Row, type ChildRun } from "./rows.js";

export const ISSUE_16_ROWS: Row[] = [
  { label: "full epoch, batch 32", job: "fit", batch: 32, samples: 60000 },
  { label: "30,000 samples, batch 16", job: "fit", batch: 16, samples: 30000 },
  { label: "30,000 samples, batch 64", job: "fit", batch: 64, samples: 30000 },
  { label: "30,000 samples, batch 128", job: "fit", batch: 128, samples: 30000 },
  { label: "30,000 samples, batch 256", job: "fit", batch: 256, samples: 30000 },
  { label: "a fresh model's first fit, 6,000 samples, batch 32", job: "first-fit", batch: 32, samples: 6000 },
  { label: "predict the 10k test set, batch 32", job: "predict", batch: 32, samples: 10000 },
  { label: "predict the 10k test set, all at once", job: "predict", batch: 0, samples: 10000 },
];

interface Measured {
  row: Row;
  purenn: ChildRun[];
  /** PyTorch's timings and peak RSS per thread count; undefined without torch. */
  torch?: Record<1 | 2, { seconds: number[]; rssMB: number[] }>;
}

export async function benchVersus(): Promise<Measured[]> {
  const quick = flag("quick") === true;
  const rounds = intFlag("rounds", quick ? 1 : 3);
  const version = torchVersion();
  console.log(`\n## versus: purenn (default settings) against PyTorch ${version ?? ""} at batch 16 to 256, on a first fit and in predict, ${machine()}\n`);
  const mnist = await loadMnist();
  setRandomSeed(1);
  const files = benchFiles(mnist, tutorialModel().getWeights());
  const results: Measured[] = [];
  try {
    for (const row of ISSUE_16_ROWS) {
      const m: Measured = { row, purenn: [] };
      if (version !== null) m.torch = { 1: { seconds: [], rssMB: [] }, 2: { seconds: [], rssMB: [] } };
      // First fits are single timings: more processes for them.
      const n = row.job === "first-fit" ? Math.max(rounds, quick ? 2 : 5) : rounds;
      for (let r = 0; r < n; r++) {
        const repeats = row.job === "predict" ? (quick ? 3 : 5) : quick ? 1 : 2;
        m.purenn.push(await runRow(row, files.dir, repeats));
        if (m.torch === undefined || r >= Math.max(rounds, 3)) continue;
        for (const threads of [1, 2] as const) {
          const out = runTorch(files.dir, threads, row.batch, ["--mode", row.job, "--samples", String(row.samples), "--repeats", "1"]);
          m.torch[threads].seconds.push(out.seconds);
          m.torch[threads].rssMB.push(out.maxrss_mb);
        }
      }
      const t = m.purenn.flatMap((p) => p.seconds);
      console.log(
        `  ${row.label}: purenn ${t.map((s) => duration(s, row.job)).join(", ")}` +
          (m.torch ? `; PyTorch 1T ${m.torch[1].seconds.map((s) => duration(s, row.job)).join(", ")}, 2T ${m.torch[2].seconds.map((s) => duration(s, row.job)).join(", ")}` : ""),
      );
      results.push(m);
    }
  } finally {
    files.remove();
  }
  printVersus(results, version);
  return results;
}

/** The table: each row's times and ratio, from this run. */
function printVersus(results: Measured[], version: string | null): void {
  const p = results[0]?.purenn[0];
  console.log(`\npurenn: backend "${p?.backend}", ${p?.threads} threads (its defaults); PyTorch ${version ?? "skipped"}, best of 1 and 2 threads`);
  const gflops = (row: Row, seconds: number) => fixed(nominalFlops(row.samples, row.job !== "predict") / seconds / 1e9, 1);
  const rows = results.map(({ row, purenn, torch }) => {
    const ours = median(purenn.flatMap((r) => r.seconds));
    const best = duration(Math.min(...purenn.flatMap((r) => r.seconds)), row.job);
    const rss = Math.max(...purenn.map((r) => r.maxRssMB));
    if (torch === undefined) return [row.label, duration(ours, row.job), best, gflops(row, ours), "skipped", "skipped", "", "", "", `${rss.toFixed(0)} MB`, ""];
    const best1 = Math.min(...torch[1].seconds), best2 = Math.min(...torch[2].seconds);
    const bestThreads = best1 <= best2 ? 1 : 2;
    const theirs = Math.min(best1, best2);
    return [
      row.label, duration(ours, row.job), best, gflops(row, ours), duration(best1, row.job), duration(best2, row.job), gflops(row, theirs),
      `${fixed(theirs / ours, 2)}x`, ours <= theirs ? "yes" : "no", `${rss.toFixed(0)} MB`, `${Math.max(...torch[bestThreads].rssMB).toFixed(0)} MB`,
    ];
  });
  table(
    ["work", "purenn", "purenn's best", "purenn GFLOP/s", "PyTorch 1T", "PyTorch 2T", "PyTorch best GFLOP/s", "purenn's speed vs PyTorch's best", "at least as fast", "purenn peak RSS", "PyTorch peak RSS (best T)"],
    rows,
  );
  console.log(
    "\npurenn: median of every timing (its best beside it, for a noisy machine); PyTorch: best of its runs per thread count. GFLOP/s: nominal dense FLOPs, 2·m·k·n per product," +
      " forward + backward (1.007 MFLOP per trained sample, 0.470 per predicted one; purenn skips all-zero input columns, so it does fewer)." +
      " Speed vs PyTorch: PyTorch's best time / purenn's (above 1: purenn is faster). Peak RSS: the largest getrusage maxrss of the row's processes.",
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchVersus();
  process.exit(0);
}
