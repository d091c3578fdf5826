// Child process for test/crash.test.ts: downloads MNIST into a cache from the
// mirror given on the command line, until it is killed (or finishes).
import { loadMnist } from "../../src/index.js";

const [cacheDir, mirror] = process.argv.slice(2);
process.stdout.write("ready\n");
await loadMnist({ cacheDir, mirrors: [mirror], usePackage: false, timeoutMs: 60_000 });
process.stdout.write("done\n");
