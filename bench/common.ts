// Shared pieces of the benchmarks: timing by medians, the machine, tfjs set-up, tables.
import { cpus, totalmem } from "node:os";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export { tf };

/** Median of `repeats` timings (ms) of fn, each timing as many calls as fill ~minMs; after a warm-up. */
export function timeMedian(fn: () => void, { repeats = 7, minMs = 60, warmup = 3 } = {}): number {
  for (let i = 0; i < warmup; i++) fn();
  let calls = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t >= minMs / 4 || calls >= 1 << 20) break;
    calls *= 2;
  }
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - t) / calls);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The machine, for the head of every report. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, tfjs ${tf.version.tfjs}`;
}

/** Switches TensorFlow.js to 'cpu' (pure JS) or 'wasm' (XNNPACK). */
export async function useTfBackend(name: "cpu" | "wasm"): Promise<void> {
  tf.env().set("PROD", true);
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`tfjs backend ${name} did not start`);
}

/** Prints rows as an aligned Markdown table. */
export function table(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(cells[0]));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const r of cells.slice(1)) console.log(line(r));
}

export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

export { flag, intFlag, pathFlag } from "./common-flags.js";
