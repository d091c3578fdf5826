// Command-line flags of the benchmarks, without the TensorFlow.js set-up of common.ts (child processes import this).

/** Flags of the form --name or --name=value. */
export function flag(name: string): string | boolean | undefined {
  for (const a of process.argv.slice(2)) {
    if (a === `--${name}`) return true;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}
