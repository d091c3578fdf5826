// Child process for test/crash.test.ts: downloads MNIST into a cache from the
// mirror given on the command line, until it is killed (or finishes).
import { loadMnist } from "../../src/index.js";

const [cacheDir, mirror] = process.argv.slice(2);
process.stdout.write("ready\n");
setTimeout(() => process.exit(3), 60_000).unref(); // never outlive the test by long
await loadMnist({ cacheDir, mirrors: [mirror], usePackage: false, timeoutMs: 60_000 });
process.stdout.write("done\n");
