// Question: where does a training step's time go, phase by phase, at batch 32, 128 and 256, and
// predict's at batch 32 and all at once, on the default backend, in this run? (Predict runs all its
// layers in one backend call where the backend has a stack, dense-stack.ts: its layers one by one too.)
//   npm run bench -- profile [--batch=128] [--samples=30000] [--rounds=3] [--threads=N] [--quick]
//   (PURENN_THREADS=1, PURENN_BACKEND=js ... as for any purenn program)
// No change to src/: the backend in use (tensor/backend.ts) is one object that every layer asks
// for with backend(), so wrapping its methods on that object times every call (a timing proxy);
// the layers, the model's loss, metric and optimizer are wrapped the same way, on their instances.
// Each wrapper adds its own time (minus the wrapped calls inside it) to a phase named by the
// layer it runs in and what it computes; what no wrapper sees (the trainer's loop, gathering the
// batch rows, shuffling, predict's copies) is the rest: the whole fit's time minus the phases.
//
// Each round fits the tutorial's network (warmed up) on --samples rows twice, without and with the
// wrappers, so the table says what the wrappers cost; per phase, the median over the rounds, scaled
// to one epoch (60000 samples) or to one predict of the 10000 test images.
//   GFLOP/s nominal   dense 2·m·k·n of the product, as if no input column were skipped
//   GFLOP/s done      2·m·k·n of what the dense kernel computed (k: the non-zero input columns it kept);
//                     blank for a product the wasm backend takes by its non-zero entries
//                     (wasm/sparse.ts: the first layer's), which no wrapped `product` call sees
// Compare with base SIMD128's ceiling: 4-lane mul + add, ~16 FLOP/cycle a core, ~96 GFLOP/s on two cores.
import {
  loadMnist, toCategorical, setRandomSeed, tutorialModel, SGD, setThreads, threadsReady, getThreads, getBackend,
  Matrix, type Sequential, type Layer,
} from "../src/index.js";
import { backend, gatherBatch } from "../src/tensor/backend.js";
import { rowOrder } from "../src/tensor/ops.js";
import { splitStats } from "../src/tensor/threads.node.js";
import { machine, table, fixed, flag, intFlag } from "./common.js";
import { median } from "./children.js";

interface Phase {
  ms: number;
  calls: number;
  /** Nominal FLOPs (products only). */
  flops: number;
  /** FLOPs the kernel did (products only). */
  done: number;
}

type AnyFn = (...args: any[]) => any;

/** Self times by phase: each wrapped call's time, minus the wrapped calls inside it. */
class Profiler {
  phases = new Map<string, Phase>();
  /** Where we are: the layer, and the backend methods called (outermost first). */
  layer = "";
  private readonly calls: string[] = [];
  private readonly childMs: number[] = [];
  private readonly undo: (() => void)[] = [];

  phase(label: string): Phase {
    let p = this.phases.get(label);
    if (p === undefined) this.phases.set(label, (p = { ms: 0, calls: 0, flops: 0, done: 0 }));
    return p;
  }

  /** Replaces obj[method] by a timed call; `label` names the phase (from the arguments and the context). */
  wrap(
    obj: object, method: string, label: (args: any[]) => string,
    hooks: { before?: (args: any[]) => void; after?: () => void; uncounted?: boolean } = {},
  ): void {
    const target = obj as Record<string, AnyFn>;
    const original = target[method];
    if (typeof original !== "function") return;
    const own = Object.prototype.hasOwnProperty.call(obj, method);
    const self = this;
    target[method] = function (this: unknown, ...args: any[]) {
      hooks.before?.(args);
      self.calls.push(method);
      self.childMs.push(0);
      const name = label(args);
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const elapsed = performance.now() - t;
        const inner = self.childMs.pop()!;
        self.calls.pop();
        const p = self.phase(name);
        p.ms += elapsed - inner;
        if (!hooks.uncounted) p.calls++;
        if (self.childMs.length > 0) self.childMs[self.childMs.length - 1] += elapsed;
        hooks.after?.();
      }
    };
    this.undo.push(() => (own ? (target[method] = original) : delete target[method]));
  }

  /** The backend method this call is nested in, outermost ("affine" for its inner "product"). */
  get outer(): string | undefined {
    return this.calls.find((c) => BACKEND_PHASES[c] !== undefined);
  }

  remove(): void {
    while (this.undo.length) this.undo.pop()!();
  }
}

/** The backend's public methods and what they compute, as phase names. */
const BACKEND_PHASES: Record<string, string> = {
  affine: "forward: z = x·W (product)",
  matmul: "forward: z = x·W (product)",
  weightGradient: "backward: dW = xᵀ·dz (product)",
  matmulTransA: "backward: dW = xᵀ·dz (product)",
  matmulTransB: "backward: dx = dz·Wᵀ (product)",
  columnSums: "backward: db = Σ_rows dz",
  sigmoid: "forward: sigmoid",
  relu: "forward: relu",
  sigmoidBackward: "backward: sigmoid",
  reluBackward: "backward: relu",
  sgd: "update: w −= lr·g",
  momentum: "update: momentum",
  allFinite: "finiteness check (the input at the door; fit: the weights every ~50 ms)",
  predictStack: "predict: every layer, blocks of rows shared between threads (dense-stack.ts; products)",
};
/** Inner methods of the fast backends (js-backend.ts, wasm-backend.ts), named by what they add to their outer call. */
const INNER_PHASES: Record<string, (outer: string) => string> = {
  addBias: () => "forward: + b (bias)",
  sparseColumns: (outer) => `${outer === "affine" ? "forward" : "backward"}: all-zero column scan`,
  countNonzeroColumns: (outer) => `${outer === "affine" ? "forward" : "backward"}: all-zero column scan`,
};

function productFlops(method: string, args: any[]): number {
  const [out, a, b] = args as Matrix[];
  if (method === "predictStack") return 2 * a.rows * (args[2] as { din: number; dout: number }[]).reduce((sum, s) => sum + s.din * s.dout, 0);
  if (method === "affine") return 2 * a.rows * a.cols * b.cols; // z, x, W
  if (method === "weightGradient") return 2 * a.rows * a.cols * b.cols; // dW, x, dz
  if (method === "matmulTransA") return 2 * out.rows * out.cols * a.rows;
  return 2 * out.rows * out.cols * a.cols; // matmul, matmulTransB
}

/** Wraps the backend in use, the model's layers and its compiled loss, metrics and optimizer. */
function instrument(model: Sequential, prof: Profiler): void {
  const paramOwner = new Map<Matrix, string>();
  model.layers.forEach((layer, i) => {
    const l = layer as Layer & { units?: number; inputDim?: number; activation?: { name: string } };
    const name = l.className === "Dense" ? `${i + 1} Dense ${l.inputDim}→${l.units}` : `${i + 1} ${l.activation?.name ?? l.className}`;
    for (const p of layer.params()) paramOwner.set(p.value, `${name} ${p.name}`);
    for (const method of ["forward", "backward"]) {
      const own = l.className === "Activation" && l.activation?.name === "softmax" && method === "forward" ? " (softmax)" : "";
      let outer = "";
      prof.wrap(layer, method, () => `${name}|${method}: layer's own code${own}`, {
        before: () => ([outer, prof.layer] = [prof.layer, name]),
        after: () => (prof.layer = outer),
      });
    }
  });

  const b = backend() as unknown as Record<string, AnyFn>;
  const methods = new Set<string>();
  for (let o: object | null = b; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const m of Object.getOwnPropertyNames(o)) if (m !== "constructor" && typeof b[m] === "function") methods.add(m);
  }
  for (const m of methods) {
    if (BACKEND_PHASES[m] !== undefined) {
      // An update is named by its weight; everything else by the layer it runs in.
      const label = (args: any[]) => `${m === "sgd" || m === "momentum" ? (paramOwner.get(args[0]) ?? "?") : m === "predictStack" ? "all layers" : prof.layer || "outside layers"}|${BACKEND_PHASES[m]}`;
      const product = /product/.test(BACKEND_PHASES[m]);
      prof.wrap(b, m, label, { before: (args) => product && (prof.phase(label(args)).flops += productFlops(m, args)) });
    } else if (m === "product") {
      // The kernel's own FLOPs: k is the kept columns (sel.ks), m the rows it writes (sel.aRows for dW's rows).
      prof.wrap(b, m, () => `${prof.layer}|${BACKEND_PHASES[prof.outer ?? "matmul"]}`, {
        uncounted: true, // counted as its outer call
        before: (args) => {
          const [out, a, , transA, , sel] = args as [Matrix, Matrix, Matrix, boolean, boolean, { ks?: Int32Array } | undefined];
          const k = sel?.ks ? sel.ks.length : transA ? a.rows : a.cols;
          prof.phase(`${prof.layer}|${BACKEND_PHASES[prof.outer ?? "matmul"]}`).done += 2 * out.rows * out.cols * k;
        },
      });
    } else if (INNER_PHASES[m] !== undefined) {
      // countNonzeroColumns runs inside sparseColumns: one call of the phase.
      prof.wrap(b, m, () => `${prof.layer}|${INNER_PHASES[m](prof.outer ?? "")}`, { uncounted: m === "countNonzeroColumns" });
    } // other helpers (heap checks, staging, the product's dispatch) count in the call they serve
  }

  const c = (model as unknown as { compiled?: { loss: any; metrics: [string, AnyFn][]; optimizer: object } }).compiled;
  if (c === undefined) return;
  // Copies of the loss and its fused pair with timed methods (the originals are shared by every model).
  const loss = Object.create(c.loss);
  prof.wrap(loss, "forward", () => "loss|loss value (cross-entropy)");
  prof.wrap(loss, "backward", () => "loss|loss gradient ∂L/∂p");
  if (c.loss.fused) {
    loss.fused = Object.create(c.loss.fused);
    prof.wrap(loss.fused, "backward", () => "loss|loss gradient (p − t)/n, fused with softmax");
  }
  const [lossBefore, metricsBefore] = [c.loss, c.metrics];
  c.loss = loss;
  c.metrics = c.metrics.map(([name, fn]) => {
    const holder = { fn };
    prof.wrap(holder, "fn", () => `loss|metric: ${name}`);
    return [name, holder.fn] as [string, AnyFn];
  });
  prof.wrap(c.optimizer, "step", () => "optimizer|step: its own code");
  const removeRest = prof.remove.bind(prof);
  prof.remove = () => {
    c.loss = lossBefore;
    c.metrics = metricsBefore;
    removeRest();
  };
}

function tutorial(): Sequential {
  setRandomSeed(1);
  const model = tutorialModel();
  model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return model;
}

interface Round {
  plainMs: number;
  profiledMs: number;
  phases: Map<string, Phase>;
  splits: number;
}

/** Prints the table of one setting: the median over rounds of each phase, scaled by `scale`. */
function report(title: string, rounds: Round[], scale: number, unit: string, extra: [string, number][]): void {
  const labels = [...rounds[0].phases.keys()];
  const med = (f: (r: Round) => number) => median(rounds.map(f)) * scale;
  const rows = labels.map((label) => {
    const get = (r: Round) => r.phases.get(label) ?? { ms: 0, calls: 0, flops: 0, done: 0 };
    const ms = med((r) => get(r).ms);
    const p = get(rounds[0]);
    return { label, ms, calls: p.calls * scale, flops: p.flops * scale, done: p.done * scale };
  });
  const profiled = med((r) => r.profiledMs);
  const phasesMs = rows.reduce((s, r) => s + r.ms, 0);
  rows.push({ label: "rest|not wrapped: the loop, batch gathering, shuffle, copies", ms: Math.max(0, profiled - phasesMs), calls: 0, flops: 0, done: 0 });
  const total = rows.reduce((s, r) => s + r.ms, 0);
  // Phases under 0.5% of the time, one row together (products always shown).
  const small = rows.filter((r) => r.ms < 0.005 * total && r.flops === 0);
  const shown = rows.filter((r) => !small.includes(r));
  if (small.length > 0) shown.push({ label: `|${small.length} smaller phases (under 0.5% each)`, ms: small.reduce((s, r) => s + r.ms, 0), calls: 0, flops: 0, done: 0 });
  console.log(`\n### ${title}\n`);
  const gf = (f: number, ms: number) => (f > 0 && ms > 0 ? fixed(f / ms / 1e6, 1) : "");
  table(
    ["layer", "phase", `ms per ${unit}`, "share", "calls", "µs/call", "GFLOP/s nominal", "GFLOP/s done"],
    shown
      .sort((a, b) => b.ms - a.ms)
      .map((r) => {
        const [where, what] = r.label.split("|");
        return [where, what, fixed(r.ms, 1), `${fixed((100 * r.ms) / total, 1)}%`, r.calls ? Math.round(r.calls) : "", r.calls ? fixed((1000 * r.ms) / r.calls, 1) : "", gf(r.flops, r.ms), gf(r.done, r.ms)];
      }),
  );
  const products = rows.filter((r) => r.flops > 0);
  const productMs = products.reduce((s, r) => s + r.ms, 0);
  const flops = products.reduce((s, r) => s + r.flops, 0), done = products.reduce((s, r) => s + r.done, 0);
  console.log(
    `\nall products: ${fixed(productMs, 0)} ms (${fixed((100 * productMs) / total, 0)}%), ${fixed(flops / productMs / 1e6, 1)} GFLOP/s nominal, ${fixed(done / productMs / 1e6, 1)} done ` +
      `(${fixed(done / 1e9, 2)} of ${fixed(flops / 1e9, 2)} GFLOP); everything else ${fixed(total - productMs, 0)} ms`,
  );
  const plain = med((r) => r.plainMs);
  console.log(
    `whole ${unit}: ${fixed(plain, 0)} ms unwrapped, ${fixed(profiled, 0)} ms wrapped (the wrappers cost ~${fixed((100 * (profiled - plain)) / plain, 0)}%); ` +
      `products split between threads: ${Math.round(median(rounds.map((r) => r.splits)) * scale)}` +
      extra.map(([k, v]) => `; ${k}: ${fixed(v, 1)} ms`).join(""),
  );
}

export async function benchProfile(): Promise<void> {
  const quick = flag("quick") === true;
  const batches = flag("batch") === undefined ? [32, 128, 256] : [intFlag("batch", 32)];
  const samples = intFlag("samples", quick ? 6000 : 30000);
  const roundsN = intFlag("rounds", quick ? 1 : 3);
  const threadsWanted = intFlag("threads", undefined);
  if (threadsWanted !== undefined) setThreads(threadsWanted);
  await threadsReady();
  const mnist = await loadMnist();
  const x = mnist.xTrain.slice(0, samples);
  const y = toCategorical(mnist.yTrain.subarray(0, samples), 10);
  console.log(`\n## profile: the phases of training and predict, backend "${getBackend()}", ${getThreads()} threads, ${samples} samples a fit, ${roundsN} rounds, ${machine()}`);

  for (const batchSize of batches) {
    const rounds: Round[] = [];
    // Warm-up: V8 optimizes the JavaScript (and the wrappers) and tiers up the WebAssembly.
    const warm = Math.min(samples, 300 * batchSize);
    await tutorial().fit(x.slice(0, warm), y.slice(0, warm), { epochs: 1, batchSize, verbose: 0 });
    for (let r = 0; r <= roundsN; r++) {
      let t = performance.now();
      await tutorial().fit(x, y, { epochs: 1, batchSize, verbose: 0 });
      const plainMs = performance.now() - t;
      const model = tutorial();
      model.predict(x.slice(0, batchSize)); // builds the layers, so that they can be wrapped
      const prof = new Profiler();
      instrument(model, prof);
      const splitsBefore = splitStats().jobs;
      t = performance.now();
      await model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
      const profiledMs = performance.now() - t;
      prof.remove();
      if (r > 0) rounds.push({ plainMs, profiledMs, phases: prof.phases, splits: splitStats().jobs - splitsBefore }); // round 0 warms up the wrappers
    }
    // What the trainer does unwrapped, timed alone: gathering each batch's rows of x and y (its way: the
    // backend's gather, the row order in the heap).
    const order = rowOrder(samples);
    for (let i = 0; i < samples; i++) order[i] = (i * 7919) % samples;
    const xb = new Matrix(batchSize, 784), yb = new Matrix(batchSize, 10);
    let t = performance.now();
    for (let start = 0; start + batchSize <= samples; start += batchSize) {
      gatherBatch(xb, x, order, start);
      gatherBatch(yb, y, order, start);
    }
    const gatherMs = performance.now() - t;
    const scale = 60000 / samples;
    report(`training, batch ${batchSize}: one epoch (60000 samples, scaled from ${samples})`, rounds, scale, "epoch", [["of the rest, gathering the batch rows (timed alone)", gatherMs * scale]]);
  }

  const model = tutorial();
  // Predict on the backend's stack where it has one (wasm: all layers in one call), then layer by layer as without it.
  const b = backend() as { predictStack?: unknown };
  const ways = b.predictStack ? ["", ", the layers one by one (no stack)"] : [""];
  for (const [batchSize, way] of [32, 10000].flatMap((size) => ways.map((w) => [size, w] as const))) {
    if (way !== "") b.predictStack = undefined; // an own property hides the backend's method
    const rounds: Round[] = [];
    model.predict(mnist.xTest, { batchSize });
    for (let r = 0; r <= roundsN; r++) {
      let t = performance.now();
      model.predict(mnist.xTest, { batchSize });
      const plainMs = performance.now() - t;
      const prof = new Profiler();
      instrument(model, prof);
      const splitsBefore = splitStats().jobs;
      t = performance.now();
      model.predict(mnist.xTest, { batchSize });
      const profiledMs = performance.now() - t;
      prof.remove();
      if (r > 0) rounds.push({ plainMs, profiledMs, phases: prof.phases, splits: splitStats().jobs - splitsBefore });
    }
    delete b.predictStack;
    report(`predict, ${batchSize === 10000 ? "all at once" : `batch ${batchSize}`}${way}: the 10000 test images`, rounds, 1, "predict", []);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchProfile();
  process.exit(0);
}
