/**
 * Relaxed SIMD on Node 20. The fused form of the SIMD module (wasm/module.ts:
 * every product's multiply-add one f32x4.relaxed_madd) runs where the runtime
 * validates relaxed SIMD: Node 22 and later, Chrome 114 and later. Node 20's
 * V8 (11.3) implements it but validates it only with
 * --experimental-wasm-relaxed-simd; this sets that flag at run time, as passing
 * it to node would, before purenn compiles its module. V8's flags are the
 * process's: worker threads see it too (and must not be given it again,
 * threads.node.ts). PURENN_FMA=0 leaves it off.
 */
import { setFlagsFromString } from "node:v8";
import { relaxedSimdAvailable, fusedWanted } from "./wasm/module.js";

/** Turns relaxed SIMD on where V8 has it off (and PURENN_FMA is not "0"); whether the runtime validates it now. */
export function enableRelaxedSimd(): boolean {
  if (fusedWanted() && !relaxedSimdAvailable()) setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdAvailable();
}
