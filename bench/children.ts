// Child processes for the benchmarks that need a fresh process per run (busy.ts, stress.ts):
// purenn runs under tsx, and busy loops stand for "other work" on the machine.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;

/**
 * A loop that keeps one core busy and ends by itself, every ~10M turns, once
 * its parent is gone (a bench stopped with Ctrl-C or killed leaves no spinner behind).
 */
const SPIN = "const parent = process.ppid; for (let i = 1; ; i++) if (i % 1e7 === 0) { try { process.kill(parent, 0); } catch { process.exit(0); } }";

/** `n` processes that keep a core busy each (a test suite, another training) until stopped. */
export function busyProcesses(n: number): { stop(): void } {
  const procs = Array.from({ length: n }, () => spawn(process.execPath, ["-e", SPIN], { stdio: "ignore" }));
  return { stop: () => procs.forEach((p) => p.kill("SIGKILL")) };
}

/**
 * Runs bench/SCRIPT with args under tsx; calls onLine for each line it prints.
 * A watchdog ends it if it prints nothing for `silentMs`, after recording what
 * each of its threads was doing (state and kernel wait channel, from /proc).
 */
export function runChild(
  script: string, args: string[], env: Record<string, string>, silentMs: number, onLine: (line: string) => void,
): Promise<{ code: number | null; stalled?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, script), ...args], {
      env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"],
    });
    let stalled: string | undefined;
    let timer = setTimeout(onSilence, silentMs);
    function onSilence() {
      stalled = threadStates(child);
      child.kill("SIGKILL");
    }
    let pending = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(onSilence, silentMs);
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      lines.filter((l) => l.trim() !== "").forEach(onLine);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stalled });
    });
  });
}

/** Each thread of a process: name, state (R running, S sleeping) and where in the kernel it waits. */
function threadStates(child: ChildProcess): string {
  try {
    const dir = `/proc/${child.pid}/task`;
    return readdirSync(dir).map((tid) => {
      const stat = readFileSync(join(dir, tid, "stat"), "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      let wchan = "";
      try {
        wchan = readFileSync(join(dir, tid, "wchan"), "utf8");
      } catch { /* not readable here */ }
      return `${tid} ${name} ${state} ${wchan}`;
    }).join("\n");
  } catch (e) {
    return `(could not read the threads: ${(e as Error).message})`;
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
