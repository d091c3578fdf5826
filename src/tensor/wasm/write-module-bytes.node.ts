/**
 * Writes module-bytes.ts: the SIMD module for a shared memory with the default
 * options, as module.ts writes it. Run it after changing anything under wasm/:
 *
 *   npx tsx src/tensor/wasm/write-module-bytes.node.ts
 *
 * (test/wasm-module.test.ts fails until the stored bytes match.)
 */
import { writeFileSync } from "node:fs";
import { writeSimdModule } from "./module.js";

const base64 = Buffer.from(writeSimdModule(true)).toString("base64");
const lines = base64.match(/.{1,100}/g) ?? [];
const source = `/**
 * The SIMD module for a shared memory and the default options, exactly as
 * module.ts writes it (checked by test/wasm-module.test.ts), kept so that
 * purenn does not spend a fresh process's first ~100 ms writing it.
 * Written by write-module-bytes.node.ts: do not edit.
 */
export const SHARED_MODULE_BASE64 =
${lines.map((l) => `  "${l}"`).join(" +\n")};
`;
writeFileSync(new URL("./module-bytes.ts", import.meta.url), source);
console.log(`module-bytes.ts: ${base64.length} base64 characters`);
