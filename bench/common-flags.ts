// Command-line flags of the benchmarks, without the TensorFlow.js set-up of common.ts (child processes import this).

/** Flags of the form --name or --name=value. */
export function flag(name: string): string | boolean | undefined {
  for (const a of process.argv.slice(2)) {
    if (a === `--${name}`) return true;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** --name=DIR, or undefined when absent; --name without a value is refused. */
export function pathFlag(name: string): string | undefined {
  const value = flag(name);
  if (value === true) throw new Error(`--${name} expects a folder, as --${name}=DIR; got no value`);
  return typeof value === "string" ? value : undefined;
}

/**
 * A whole-number flag --name=N (N ≥ min), or `fallback` (undefined: none) when the flag is absent; anything else
 * (--name alone, --name=abc, --name=0 where 1 is the least) is refused with the value and the range.
 */
export function intFlag(name: string, fallback: number, min?: number): number;
export function intFlag(name: string, fallback: undefined, min?: number): number | undefined;
export function intFlag(name: string, fallback: number | undefined, min = 1): number | undefined {
  const value = flag(name);
  if (value === undefined) return fallback;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} expects a whole number ≥ ${min}, got ${value === true ? "no value" : JSON.stringify(value)}`);
  }
  return n;
}
