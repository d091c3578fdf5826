// Question: how fast is the WebAssembly SIMD module (src/tensor/wasm/) against the
// JavaScript kernel (gemm, src/tensor/gemm.ts: the js backend's products) on one thread,
// at the tutorial's shapes? And the first layer's sparse products (sparse-product.ts) on
// MNIST test images, x·W and xᵀ·dz, with W or dz read in place against read from panels? And a
// batch's rows gathered from the training set, by the module (wasm/gather.ts) and by the loop (ops.ts)?
//   npx tsx bench/wasm-module.ts            (about 10 s)
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
import { productColumns, packPanels, type SparseProduct } from "../src/tensor/sparse-product.js";
import { loadMnist } from "../src/data/mnist.js";
import { gatherRows, rowOrder } from "../src/tensor/ops.js";
import { shuffle } from "../src/tensor/random.js";

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

// The first layer's sparse product, z = x·W for MNIST test images x (by their lit pixels) and a
// 784 x 256 kernel W: W read in place (rows 1 KB apart), from panels packed beforehand (as in
// predict), and from panels each product packs (as in training from 128 rows).
const mnist = await loadMnist();

/** The first `rows` MNIST test images in the heap, and their lit pixels row by row (wasm/sparse.ts: sparseRows). */
function litPixels(rows: number) {
  const x = heapFloat32(rows * 784)!;
  x.set(mnist.xTest.data.subarray(0, rows * 784));
  const most = rows * 784 + 784;
  const starts = heapInt32(rows + 1)!, idx = heapInt32(most)!, vals = heapFloat32(most)!;
  const entries = kernel.sparseRows(x.byteOffset, rows, 784, starts.byteOffset, idx.byteOffset, vals.byteOffset, most);
  return { starts, idx, vals, entries, most };
}

const W = filled(784, 256, 3);
const panels = heapFloat32(784 * 256)!;
console.log("\n| sparse product, MNIST rows x 784 x 256 | W in place | panels | panels, packed by the product | packing alone |");
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const rows of [32, 128, 1000]) {
  const { starts, idx, vals, entries } = litPixels(rows);
  const outs = [0, 1, 2].map(() => heapFloat32(rows * 256)!);
  const product = (out: Float32Array, panelRows: number, pack: boolean): SparseProduct => ({
    c: out.byteOffset, ldc: 256, starts: starts.byteOffset, idx: idx.byteOffset, vals: vals.byteOffset, rows,
    b: W.data.byteOffset, ldb: 256, width: 256, panels: panelRows > 0 ? panels.byteOffset : 0, panelRows, pack,
  });
  const inPlace = () => productColumns(kernel, product(outs[0], 0, false), 0, 256);
  const packing = () => productColumns(kernel, product(outs[2], 784, true), 0, 256);
  const packed = () => productColumns(kernel, product(outs[1], 784, false), 0, 256);
  const packOnly = () => packPanels(kernel, product(outs[1], 784, true));
  packing();
  packed();
  inPlace();
  for (const out of outs.slice(1)) {
    if (!out.every((v, i) => Object.is(v, outs[0][i]))) throw new Error(`panels change the sparse product's bits at ${rows} rows`);
  }
  const flops = 2 * entries * 256;
  const [tIn, tPanels, tPacking, tPack] = timeRounds([inPlace, packed, packing, packOnly], flops);
  const us = (ms: number) => `${(ms * 1e3).toFixed(0)} µs`;
  console.log(`| ${rows} | ${us(tIn)} | ${us(tPanels)} | ${us(tPacking)} | ${us(tPack)} |`);
}

// The weight gradient's sparse product, dW = xᵀ·dz by x's lit pixels column by column, for a
// batch of MNIST test images and a dz of 256 units: dz read in place, or from panels the product packs.
console.log("\n| weight gradient, batch x 784 x 256 | dz in place | panels, packed by the product |");
console.log("| ---: | ---: | ---: |");
for (const rows of [32, 128, 256]) {
  const { starts, idx, vals, entries, most } = litPixels(rows);
  const pos = heapInt32(784)!, cols = heapInt32(784)!, cStarts = heapInt32(785)!, cIdx = heapInt32(most)!, cVals = heapFloat32(most)!;
  const u = kernel.sparseColumns(rows, 784, starts.byteOffset, idx.byteOffset, vals.byteOffset, pos.byteOffset, cols.byteOffset, cStarts.byteOffset, cIdx.byteOffset, cVals.byteOffset);
  const dz = filled(rows, 256, 4), dzPanels = heapFloat32(rows * 256)!;
  const outs = [0, 1].map(() => heapFloat32(u * 256)!);
  const product = (out: Float32Array, inPanels: boolean): SparseProduct => ({
    c: out.byteOffset, ldc: 256, starts: cStarts.byteOffset, idx: cIdx.byteOffset, vals: cVals.byteOffset, rows: u,
    b: dz.data.byteOffset, ldb: 256, width: 256, panels: inPanels ? dzPanels.byteOffset : 0, panelRows: rows, pack: inPanels,
  });
  const inPlace = () => productColumns(kernel, product(outs[0], false), 0, 256);
  const packing = () => productColumns(kernel, product(outs[1], true), 0, 256);
  inPlace();
  packing();
  if (!outs[1].every((v, i) => Object.is(v, outs[0][i]))) throw new Error(`panels change the weight gradient's bits at batch ${rows}`);
  const [tIn, tPacking] = timeRounds([inPlace, packing], 2 * entries * 256);
  console.log(`| ${rows} | ${(tIn * 1e3).toFixed(0)} µs | ${(tPacking * 1e3).toFixed(0)} µs |`);
}

// A batch's rows gathered from MNIST's 60,000 training images in a shuffled order (the trainer's
// batches): the module's gather (wasm/gather.ts, 8 rows side by side) against the loop's copyWithin
// a row (ops.ts: gatherRows). Each call gathers the next batch of the order, so the rows come from
// all over the 188 MB, as in an epoch.
console.log("\n| gather, MNIST rows a batch (of 60,000, shuffled) | the loop (copyWithin a row) | the module |");
console.log("| ---: | ---: | ---: |");
const train = mnist.xTrain, order = rowOrder(train.rows);
shuffle(order);
for (const rows of [32, 128, 256]) {
  const [byLoop, byModule] = [0, 1].map(() => new Matrix(rows, 784));
  let loopAt = 0, moduleAt = 0;
  const next = (at: number) => (at + rows <= train.rows - rows ? at + rows : 0);
  const loop = () => { gatherRows(byLoop, train, order, loopAt); loopAt = next(loopAt); };
  const module = () => {
    kernel.gatherRows(byModule.data.byteOffset, train.data.byteOffset, order.byteOffset + 4 * moduleAt, rows, 784, train.rows);
    moduleAt = next(moduleAt);
  };
  loop();
  module();
  if (!byModule.data.every((v, i) => Object.is(v, byLoop.data[i]))) throw new Error(`the module's gather differs from the loop's at ${rows} rows`);
  const [tLoop, tModule] = timeRounds([loop, module], 2e7 * rows / 128); // ~2 ms a round
  console.log(`| ${rows} | ${(tLoop * 1e3).toFixed(0)} µs | ${(tModule * 1e3).toFixed(0)} µs |`);
}
