// Question: how fast is each matmul form at the tutorial's shapes, on purenn's two
// kernels (plain TypeScript "js", WebAssembly SIMD "simd"), against the naive loop,
// TensorFlow.js 'cpu' and 'wasm' (XNNPACK), measured in this run?
//   npm run bench -- matmul        (or: npx tsx bench/matmul.ts)
import { Matrix, matmul, matmulTransA, matmulTransB, matmulNaive, setThreads, threadsReady, setKernel } from "../src/index.js";
import { tf, timeMedian, machine, useTfBackend, table, fixed } from "./common.js";

type Form = "A·B" | "A·Bᵀ" | "Aᵀ·B";
/** [label, form, m, k, n]: C is m x n, the sum runs over k. */
const CASES: [string, Form, number, number, number][] = [
  ["forward layer 1", "A·B", 32, 784, 256],
  ["forward layer 2", "A·B", 32, 256, 128],
  ["forward layer 3", "A·B", 32, 128, 10],
  ["dW layer 1 (Xᵀ·dY)", "Aᵀ·B", 784, 32, 256],
  ["dW layer 2", "Aᵀ·B", 256, 32, 128],
  ["dX layer 2 (dY·Wᵀ)", "A·Bᵀ", 32, 128, 256],
  ["dX layer 3", "A·Bᵀ", 32, 10, 128],
  ["forward, batch 128", "A·B", 128, 784, 256],
  ["512³", "A·B", 512, 512, 512],
  ["512³", "A·Bᵀ", 512, 512, 512],
  ["512³", "Aᵀ·B", 512, 512, 512],
];

function operands(form: Form, m: number, k: number, n: number): [Matrix, Matrix] {
  const fill = (r: number, c: number) => {
    const x = new Matrix(r, c);
    for (let i = 0; i < x.data.length; i++) x.data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    return x;
  };
  const a = form === "Aᵀ·B" ? fill(k, m) : fill(m, k);
  const b = form === "A·Bᵀ" ? fill(n, k) : fill(k, n);
  return [a, b];
}

function purenn(form: Form): (out: Matrix, a: Matrix, b: Matrix) => void {
  return form === "A·B" ? matmul : form === "A·Bᵀ" ? matmulTransB : matmulTransA;
}

export async function benchMatmul(): Promise<void> {
  console.log(`\n## matmul: GFLOP/s (median of 7), ${machine()}\n`);
  const rows: (string | number)[][] = [];
  const results: Record<string, number>[] = [];
  for (const [, form, m, k, n] of CASES) {
    const [a, b] = operands(form, m, k, n);
    const out = new Matrix(m, n), ref = new Matrix(m, n);
    matmulNaive(ref, a, b, form === "Aᵀ·B", form === "A·Bᵀ");
    purenn(form)(out, a, b);
    let err = 0, scale = 0;
    for (let i = 0; i < ref.data.length; i++) {
      err = Math.max(err, Math.abs(out.data[i] - ref.data[i]));
      scale = Math.max(scale, Math.abs(ref.data[i]));
    }
    if (err > 1e-5 * scale) throw new Error(`matmul ${form} ${m}x${k}x${n} disagrees with the naive loop: ${err}`);
    results.push({ naive: timeMedian(() => matmulNaive(out, a, b, form === "Aᵀ·B", form === "A·Bᵀ"), { repeats: 3, warmup: 1 }) });
  }
  for (const kernel of ["js", "wasm"] as const) {
    setKernel(kernel);
    for (const threads of [1, 2]) {
      setThreads(threads);
      await threadsReady();
      CASES.forEach(([, form, m, k, n], i) => {
        const [a, b] = operands(form, m, k, n);
        const out = new Matrix(m, n);
        // The SIMD module needs about half a second of calls before V8 optimizes it: warm up longer.
        results[i][`${kernel}${threads}`] = timeMedian(() => purenn(form)(out, a, b), { warmup: kernel === "wasm" ? 50 : 3 });
      });
    }
  }
  for (const backend of ["cpu", "wasm"] as const) {
    await useTfBackend(backend);
    CASES.forEach(([, form, m, k, n], i) => {
      const [a, b] = operands(form, m, k, n);
      const ta = tf.tensor2d(a.data, [a.rows, a.cols]), tb = tf.tensor2d(b.data, [b.rows, b.cols]);
      const run = () => tf.tidy(() => tf.matMul(ta, tb, form === "Aᵀ·B", form === "A·Bᵀ").dataSync());
      const check = run();
      const [ra] = [new Matrix(m, n, check as Float32Array)];
      const ours = new Matrix(m, n);
      purenn(form)(ours, a, b);
      const diff = ra.data.reduce((d, v, j) => Math.max(d, Math.abs(v - ours.data[j])), 0);
      if (diff > 1e-3) throw new Error(`tfjs ${backend} disagrees at ${form} ${m}x${k}x${n}: ${diff}`);
      results[i][backend] = timeMedian(run, { repeats: backend === "cpu" ? 3 : 7 });
      ta.dispose();
      tb.dispose();
    });
  }
  CASES.forEach(([label, form, m, k, n], i) => {
    const r = results[i];
    const g = (ms: number) => (2 * m * k * n) / (ms * 1e6);
    rows.push([
      `${label}: ${form} ${m}x${k}x${n}`, fixed(g(r.naive)), fixed(g(r.js1)), fixed(g(r.js2)), fixed(g(r.wasm1)), fixed(g(r.wasm2)),
      fixed(g(r.cpu)), fixed(g(r.wasm)), `${fixed(r.cpu / r.js1, 1)}x`, `${fixed(r.wasm / r.wasm1, 1)}x`,
    ]);
  });
  table([
    "product (C is m x n, sum over k)", "naive", "purenn js 1T", "js 2T", "purenn simd 1T", "simd 2T", "tfjs cpu", "tfjs wasm",
    "js 1T vs tfjs cpu", "simd 1T vs tfjs wasm",
  ], rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchMatmul();
  process.exit(0);
}
