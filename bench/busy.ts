// Question: with other work keeping this machine's cores busy, how does an epoch on purenn's
// default threads compare with one thread? (The threads issue: within 1.25x of one thread's
// best of three, 2x at worst, and no stall.) And on a quiet machine, as a reference.
//   npm run bench -- busy [--busy=2] [--rounds=3] [--samples=60000] [--compare=DIR]
// Each epoch runs in a fresh child process (bench/epoch-child.ts), 1 thread and the default
// alternating, with --busy processes spinning beside it. --compare=DIR also times the
// default of another purenn checkout (e.g. an older commit: git worktree add DIR COMMIT).
import { availableParallelism } from "node:os";
import { busyProcesses, runChild, median } from "./children.js";
import { flag, intFlag, pathFlag } from "./common-flags.js";
import { fixed, table } from "./common.js";

interface Row { setting: string; batch: number; busy: number; times: number[]; stalls: number }

export async function benchBusy(): Promise<void> {
  const busy = intFlag("busy", 2, 0);
  const rounds = intFlag("rounds", 3);
  const samples = intFlag("samples", 60000);
  const compare = pathFlag("compare");
  console.log(`\n## busy: an epoch (${samples} samples) with ${busy} busy processes beside it, on ${availableParallelism()} cores\n`);
  const rows: Row[] = [];
  for (const batch of [32, 128]) {
    for (const load of busy === 0 ? [0] : [0, busy]) {
      const settings: [string, string[]][] = [["1 thread", ["--threads=1"]], ["default", []]];
      if (typeof compare === "string") settings.push([`default of ${compare}`, [`--repo=${compare}`]]);
      const byName = new Map(settings.map(([name]) => [name, { setting: name, batch, busy: load, times: [] as number[], stalls: 0 }]));
      const others = busyProcesses(load);
      try {
        for (let r = 0; r < rounds; r++) {
          for (const [name, args] of settings) {
            const row = byName.get(name)!;
            const { stalled } = await runChild("epoch-child.ts", [...args, `--batch=${batch}`, `--samples=${samples}`], {}, 300_000, (line) => {
              row.times.push(JSON.parse(line).seconds);
            });
            if (stalled) {
              row.stalls++;
              console.log(`  STALL: ${name}, batch ${batch}, ${load} busy; its threads:\n${stalled}`);
            }
            console.log(`  batch ${batch}, ${load} busy, ${name}: ${fixed(row.times[row.times.length - 1] ?? NaN, 2)} s`);
          }
        }
      } finally {
        others.stop();
      }
      rows.push(...byName.values());
    }
  }
  console.log("");
  table(
    ["setting", "batch", "busy processes", "s/epoch (each round)", "median", "worst", "median / 1 thread's best", "worst / 1 thread's best", "stalls"],
    rows.map((r) => {
      const one = rows.find((o) => o.batch === r.batch && o.busy === r.busy && o.setting === "1 thread")!;
      const best = Math.min(...one.times);
      return [
        r.setting, r.batch, r.busy, r.times.map((t) => fixed(t, 2)).join(", "), fixed(median(r.times), 2), fixed(Math.max(...r.times), 2),
        `${fixed(median(r.times) / best, 2)}x`, `${fixed(Math.max(...r.times) / best, 2)}x`, r.stalls,
      ];
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchBusy();
  process.exit(0);
}
