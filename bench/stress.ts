// Question: does any fit on worker threads stall? Hundreds of short 2-thread fits (bench/stress-child.ts),
// in child processes of --fits each, with --busy processes spinning beside every other child; a watchdog
// ends a child silent for --silent seconds and prints what each of its threads was doing.
//   npm run bench -- stress [--runs=500] [--fits=25] [--busy=2] [--silent=60] [--repo=DIR]
// (--repo: the purenn checkout to run, e.g. an older commit: git worktree add DIR COMMIT)
import { busyProcesses, runChild, median } from "./children.js";
import { intFlag, pathFlag } from "./common-flags.js";
import { fixed } from "./common.js";

export async function benchStress(): Promise<void> {
  const runs = intFlag("runs", 500);
  const fits = intFlag("fits", 25);
  const busy = intFlag("busy", 2, 0);
  const silentMs = intFlag("silent", 60) * 1000;
  const repo = pathFlag("repo");
  console.log(`\n## stress: ${runs} short fits on 2 threads, ${fits} per process; every other process with ${busy} busy processes beside it\n`);
  const times: Record<string, number[]> = { quiet: [], busy: [] };
  let stalls = 0, failures = 0, done = 0;
  for (let child = 0; done < runs; child++) {
    const load = child % 2 === 1 ? busy : 0;
    const others = busyProcesses(load);
    const kind = load > 0 ? "busy" : "quiet";
    let count = 0;
    const { code, stalled } = await runChild("stress-child.ts", [`--fits=${Math.min(fits, runs - done)}`, `--seed=${child + 1}`, ...(repo !== undefined ? [`--repo=${repo}`] : [])], {}, silentMs, (line) => {
      times[kind].push(JSON.parse(line).seconds);
      count++;
    });
    others.stop();
    done += count;
    if (stalled) {
      stalls++;
      console.log(`  STALL in process ${child} (${kind}) after ${count} fits; its threads:\n${stalled}`);
      done++; // the fit that stalled counts as a run
    } else if (code !== 0) {
      failures++;
      console.log(`  process ${child} (${kind}) exited with code ${code} after ${count} fits`);
      if (count === 0) done++;
    }
    if (child % 4 === 3) console.log(`  ${done} fits, ${stalls} stalls, ${failures} failures`);
  }
  for (const kind of ["quiet", "busy"]) {
    const t = times[kind];
    if (t.length === 0) continue;
    const sorted = [...t].sort((a, b) => a - b);
    console.log(
      `  ${kind}: ${t.length} fits, seconds per fit: median ${fixed(median(t), 3)}, p99 ${fixed(sorted[Math.floor(0.99 * (sorted.length - 1))], 3)}, max ${fixed(sorted[sorted.length - 1], 3)}`,
    );
  }
  console.log(`stress: ${done} fits, ${stalls} stalls, ${failures} processes failed`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchStress();
  process.exit(0);
}
