// The rows that bench/versus.ts (purenn against PyTorch) and `train`/`predict --compare` (two
// checkouts) time: what each does, its nominal FLOPs, and one run of bench/rows-child.ts.
import { runChild } from "./children.js";

/** The tutorial's network: 784 → 256 → 128 → 10. */
export const WIDTHS = [784, 256, 128, 10];

/**
 * Nominal FLOPs of the tutorial's network, dense, 2·m·k·n per product (a multiply and an add per
 * term; bias, activations, loss and update not counted; all-zero input columns counted though
 * purenn skips them). Per sample:
 *   forward   Σ_l 2·din·dout                    (x·W)          469,504
 *   backward  Σ_l 2·din·dout                    (dW = xᵀ·dz)   469,504
 *             Σ_{l>1} 2·din·dout                (dx = dz·Wᵀ; the first layer needs none)  68,096
 * so 1,007,104 per trained sample (60.4 GFLOP an epoch) and 469,504 per predicted one.
 */
export function nominalFlops(samples: number, training: boolean): number {
  let forward = 0, dx = 0;
  for (let l = 0; l + 1 < WIDTHS.length; l++) {
    forward += 2 * WIDTHS[l] * WIDTHS[l + 1];
    if (l > 0) dx += 2 * WIDTHS[l] * WIDTHS[l + 1];
  }
  return samples * (training ? 2 * forward + dx : forward);
}

export type Job = "fit" | "first-fit" | "predict";

export interface Row {
  /** What the row times: training at batch 16 … 256, a fresh model's first fit, predict. */
  label: string;
  job: Job;
  /** Batch size; 0 for predict all at once. */
  batch: number;
  /** Training samples (fit, first-fit) or test images predicted (predict). */
  samples: number;
}

/** What one child process measured. */
export interface ChildRun {
  seconds: number[];
  maxRssMB: number;
  backend: string;
  threads: number;
}

/**
 * One fresh process timing `row` (bench/rows-child.ts), on the checkout `repo` (default this one),
 * with `repeats` timings after its warm-up (first-fit: exactly one, without warm-up).
 */
export async function runRow(row: Row, data: string, repeats: number, options: { repo?: string; threads?: number } = {}): Promise<ChildRun> {
  const args = [`--data=${data}`, `--job=${row.job}`, `--batch=${row.batch}`, `--samples=${row.samples}`, `--repeats=${row.job === "first-fit" ? 1 : repeats}`];
  if (options.repo !== undefined) args.push(`--repo=${options.repo}`);
  if (options.threads !== undefined) args.push(`--threads=${options.threads}`);
  const run: ChildRun = { seconds: [], maxRssMB: NaN, backend: "?", threads: NaN };
  const { code, stalled } = await runChild("rows-child.ts", args, {}, 300_000, (line) => {
    const o = JSON.parse(line);
    if (o.seconds !== undefined) run.seconds.push(o.seconds);
    else Object.assign(run, o);
  });
  if (code !== 0 || run.seconds.length === 0) {
    throw new Error(`bench/rows-child.ts ${args.join(" ")} failed (exit ${code})${stalled ? `; it stalled, its threads:\n${stalled}` : ""}`);
  }
  return run;
}

/** "0.61 s" for training rows, "169 ms" for predict rows. */
export function duration(seconds: number, job: Job): string {
  if (!Number.isFinite(seconds)) return "n/a";
  return job === "predict" ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}
