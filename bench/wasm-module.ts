// Question: how fast is the WebAssembly SIMD module (src/tensor/wasm/) against the
// JavaScript kernel (gemm, src/tensor/gemm.ts: the js backend's products) on one thread,
// at the tutorial's shapes?
//   npx tsx bench/wasm-module.ts            (about 5 s)
//
// Both kernels read the same matrices in purenn's heap (one WebAssembly memory): the
// wasm backend by byte offset, the JavaScript one through the Float32Array views.
// Before timing, each wasm product is checked against the JavaScript one (1e-5 relative).
// Timing: both kernels run in alternating rounds (so a busy neighbour on a shared machine
// slows both alike), each round a batch of calls lasting ~2 ms; the median round counts.
// The first round of warm-up lasts long enough (0.5 s) for V8 to replace its baseline
// WebAssembly code (Liftoff) by the optimized code (TurboFan) it runs from then on.
import { cpus } from "node:os";
import { Matrix } from "../src/core.js";
import { gemm } from "../src/tensor/gemm.js";
import { heapMemory, heapFloat32, heapInt32 } from "../src/tensor/heap.js";
import { SimdModule, gemmScratchBytes, defaultOptions } from "../src/tensor/wasm/module.js";

type Form = "A·B" | "A·Bᵀ" | "Aᵀ·B";
/** [label, form, m, k, n, select]: C is m x n, the sum runs over k. `select` ≈ 450 of 784 via ks / aRows. */
const CASES: [string, Form, number, number, number, ("ks" | "aRows")?][] = [
  ["forward layer 1", "A·B", 32, 784, 256],
  ["  with ks (450 of 784)", "A·B", 32, 784, 256, "ks"],
  ["forward layer 2", "A·B", 32, 256, 128],
  ["forward layer 3", "A·B", 32, 128, 10],
  ["dX layer 2 (dY·Wᵀ)", "A·Bᵀ", 32, 128, 256],
  ["dX layer 3", "A·Bᵀ", 32, 10, 128],
  ["dW layer 1 (Xᵀ·dY)", "Aᵀ·B", 784, 32, 256],
  ["  with aRows (450 of 784)", "Aᵀ·B", 784, 32, 256, "aRows"],
  ["dW layer 2", "Aᵀ·B", 256, 32, 128],
  ["dW layer 3", "Aᵀ·B", 128, 32, 10],
  ["forward, batch 128", "A·B", 128, 784, 256],
  ["512³", "A·B", 512, 512, 512],
];

const memory = heapMemory();
if (memory === undefined) throw new Error("bench/wasm-module: no shared WebAssembly memory in this runtime");
const kernel = new SimdModule(memory);

function filled(rows: number, cols: number, seed: number): Matrix {
  const x = new Matrix(rows, cols);
  for (let i = 0; i < x.data.length; i++) x.data[i] = (((i + seed) * 2654435761) % 1000) / 1000 - 0.5;
  return x;
}

/** 450 of 784 indices, increasing (as the all-zero pixel columns of an MNIST batch leave). */
function selection(): Int32Array {
  const list = heapInt32(450)!;
  for (let q = 0; q < 450; q++) list[q] = Math.floor((q * 784) / 450);
  return list;
}

/** The two kernels on one case, each a () => void writing its own output. */
function contenders(form: Form, m: number, k: number, n: number, select?: "ks" | "aRows") {
  const ks = select === "ks" ? selection() : undefined;
  const aRows = select === "aRows" ? selection() : undefined;
  const rows = aRows ? aRows.length : m; // C's rows
  const sum = ks ? ks.length : k; // terms per element
  const a = form === "Aᵀ·B" ? filled(k, m, 1) : filled(m, k, 1);
  const b = form === "A·Bᵀ" ? filled(n, k, 2) : filled(k, n, 2);
  const outJs = new Matrix(rows, n), outWasm = new Matrix(rows, n);
  const scratch = heapFloat32(Math.ceil(gemmScratchBytes(rows, n, sum) / 4))!;
  // The JavaScript kernel itself, whichever backend is the default (matmul would run the wasm backend's).
  const js = () => gemm(outJs, a, b, form === "Aᵀ·B", form === "A·Bᵀ", { ks, aRows });
  const off = (x: ArrayBufferView | undefined) => (x ? x.byteOffset : -1);
  const wasm = () => kernel.gemm(
    outWasm.data.byteOffset, n, a.data.byteOffset, a.cols, form === "Aᵀ·B", b.data.byteOffset, b.cols, form === "A·Bᵀ",
    rows, n, sum, 0, rows, 0, n, off(ks), off(aRows), scratch.byteOffset,
  );
  js();
  wasm();
  let diff = 0, scale = 0;
  for (let i = 0; i < outJs.data.length; i++) {
    diff = Math.max(diff, Math.abs(outWasm.data[i] - outJs.data[i]));
    scale = Math.max(scale, Math.abs(outJs.data[i]));
  }
  if (!(diff <= 1e-5 * scale)) throw new Error(`wasm backend disagrees with the js backend (gemm) at ${form} ${m}x${k}x${n}: ${diff} of ${scale}`);
  return { js, wasm, flops: 2 * rows * sum * n };
}

/** Median milliseconds per call of each function, measured in alternating rounds. */
function timeRounds(fns: (() => void)[], flops: number, rounds = 9, warmupMs = 30): number[] {
  for (const fn of fns) for (let t = performance.now(); performance.now() - t < warmupMs; ) fn();
  const calls = Math.max(1, Math.round(2e-3 / (flops / 20e9))); // ~2 ms a round at 20 GFLOP/s
  const times = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t = performance.now();
      for (let c = 0; c < calls; c++) fn();
      times[i].push((performance.now() - t) / calls);
    });
  }
  return times.map((ts) => ts.sort((x, y) => x - y)[Math.floor(ts.length / 2)]);
}

const gflops = (flops: number, ms: number) => (flops / ms / 1e6).toFixed(1);

const { tile } = defaultOptions();
console.log(`\n## WebAssembly SIMD module (${tile.fused ? "fused" : "unfused"}, ${tile.mr}x${4 * tile.nv} tile) vs the JavaScript kernel (gemm), one thread: GFLOP/s (median)\n`);
console.log(`${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}\n`);
console.log("| case | form | m x k x n | js | wasm | wasm / js |");
console.log("| --- | --- | --- | ---: | ---: | ---: |");
let first = true;
for (const [label, form, m, k, n, select] of CASES) {
  const { js, wasm, flops } = contenders(form, m, k, n, select);
  if (first) for (let t = performance.now(); performance.now() - t < 500; ) wasm(); // tier-up, once
  first = false;
  const [tJs, tWasm] = timeRounds([js, wasm], flops);
  const shape = select ? `${m}x${k}x${n}, ${select} 450` : `${m}x${k}x${n}`;
  console.log(`| ${label} | ${form} | ${shape} | ${gflops(flops, tJs)} | ${gflops(flops, tWasm)} | ${(tJs / tWasm).toFixed(1)}x |`);
}

// Per-call overhead: an empty block (the call and its argument checks), a 1x1x1 product
// (all the fixed work: scratch set-up, packing, one edge tile) and the smallest layer.
const small = contenders("A·B", 32, 128, 10), tiny = contenders("A·B", 1, 1, 1);
const empty = () => kernel.gemm(0, 10, 0, 128, false, 0, 10, false, 32, 10, 128, 0, 0, 0, 10, -1, -1, 0);
const [tSmall, tTiny, tEmpty] = timeRounds([small.wasm, tiny.wasm, empty], small.flops, 9, 100);
console.log(`\nper call: ${(tEmpty * 1e3).toFixed(3)} µs for an empty block, ${(tTiny * 1e3).toFixed(3)} µs for 1x1x1; ` +
  `32x128x10 takes ${(tSmall * 1e3).toFixed(2)} µs (${gflops(small.flops, tSmall)} GFLOP/s)`);
