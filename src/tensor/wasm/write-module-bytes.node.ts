/**
 * Writes module-bytes.ts: the SIMD module for a shared memory in both its
 * forms (unfused and fused options), as module.ts writes them. Run it after changing anything under wasm/:
 *
 *   npx tsx src/tensor/wasm/write-module-bytes.node.ts
 *
 * (test/wasm-module.test.ts fails until the stored bytes match.)
 */
import { writeFileSync } from "node:fs";
import { writeSimdModule, UNFUSED_OPTIONS, FUSED_OPTIONS } from "./module.js";
import type { DriverOptions } from "./driver.js";

const constant = (name: string, options: DriverOptions) => {
  const base64 = Buffer.from(writeSimdModule(true, options)).toString("base64");
  const lines = base64.match(/.{1,100}/g) ?? [];
  console.log(`${name}: ${base64.length} base64 characters`);
  return `export const ${name} =\n${lines.map((l) => `  "${l}"`).join(" +\n")};\n`;
};
const source = `/**
 * The SIMD module for a shared memory, unfused and fused options, exactly as
 * module.ts writes them (checked by test/wasm-module.test.ts), kept so that
 * purenn does not spend a fresh process's first ~100 ms writing one.
 * Written by write-module-bytes.node.ts: do not edit.
 */
${constant("SHARED_MODULE_BASE64", UNFUSED_OPTIONS)}
${constant("SHARED_FUSED_MODULE_BASE64", FUSED_OPTIONS)}`;
writeFileSync(new URL("./module-bytes.ts", import.meta.url), source);
