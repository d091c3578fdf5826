// npm run fuzz [-- CASES [SEED]]: the IDX fuzzer, long run (default 1e5 cases).
import { fuzzIdx } from "./idx-fuzzer.js";

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const r = await fuzzIdx(cases, seed);
console.log(`${r.cases} cases (seed ${seed}) in ${r.seconds.toFixed(1)} s: ${r.parsed} parsed consistently, ${r.rejected} rejected with a descriptive error; ` +
  `largest result ${r.largestResultRatio.toFixed(1)}x its file`);
for (const f of r.failures.slice(0, 20)) console.log(`FAIL ${f}`);
console.log(`${r.cases - r.failures.length} passed, ${r.failures.length} failed`);
process.exit(r.failures.length === 0 ? 0 : 1);
