/**
 * Seeded random numbers: every random draw in purenn (weight initializers,
 * shuffling) comes from this one generator, so `setRandomSeed(n)` makes a whole
 * program reproducible, bit for bit.
 *
 * Generator: xoshiro128** (Blackman & Vigna, 2018), 32-bit state words, seeded
 * through splitmix32 so that nearby seeds give unrelated streams.
 *   uniform(lo, hi):  lo + (hi − lo) · u,   u = next32 / 2³²  ∈ [0, 1)
 *   normal(mean, sd): Box–Muller,  z = √(−2 ln u₁) · cos(2π u₂)
 *   shuffle(a):       Fisher–Yates, from the last index down
 *   fillUint32(out):  raw 32-bit draws in bulk (Dropout's masks: kept where draw ≥ rate·2³²)
 *   fillUniform(out, lo, hi): out.length draws of uniform(lo, hi) in bulk (weight initializers)
 *
 * Without a call to setRandomSeed the generator starts from Math.random(), like
 * Keras without `keras.utils.set_random_seed`: runs differ until you seed.
 */

const state = new Uint32Array(4);

/** The generator's four state words, live: a backend that draws in bulk (heap-draws.ts) reads them and writes them back. */
export function generatorState(): Uint32Array {
  return state;
}

/** 2³², how many values a 32-bit draw takes: draw / 2³² is uniform in [0, 1). */
export const UINT32_RANGE = 4294967296;

/**
 * splitmix32: a small seeded stream of 32-bit draws, filling `out` in order
 * (from the seed's low and high 32-bit halves); it seeds the generator below,
 * and a layer with a seed of its own draws from it directly (Dropout).
 */
export function splitmix32(seed: number): (out: Uint32Array) => void {
  let s = (seed >>> 0) ^ Math.floor(seed / UINT32_RANGE);
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      out[i] = z ^ (z >>> 16);
    }
  };
}

/** Seeds the generator: the same seed gives the same draws, every run. */
export function setRandomSeed(seed: number): void {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new Error(`setRandomSeed expects an integer seed, got ${seed}`);
  }
  splitmix32(seed)(state);
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
}

setRandomSeed(Math.floor(Math.random() * UINT32_RANGE));

/** The next 32 random bits, as an unsigned integer (xoshiro128**). */
export function nextUint32(): number {
  const result = Math.imul(rotl(Math.imul(state[1], 5), 7), 9) >>> 0;
  const t = state[1] << 9;
  state[2] ^= state[0];
  state[3] ^= state[1];
  state[1] ^= state[2];
  state[0] ^= state[3];
  state[2] ^= t;
  state[3] = rotl(state[3], 11);
  return result;
}

/**
 * Fills `out` with the next out.length draws of nextUint32, the same numbers in the same order,
 * from one loop that keeps the state in locals (a dropout mask takes a draw per value).
 */
export function fillUint32(out: Uint32Array): void {
  let s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A float uniformly drawn from [lo, hi). */
export function uniform(lo = 0, hi = 1): number {
  return lo + (hi - lo) * (nextUint32() / UINT32_RANGE);
}

/**
 * Fills `out` with out.length draws of uniform(lo, hi): the same numbers in the same order, each
 * rounded to float32 as `out[i] = uniform(lo, hi)` would. The raw draws go into out's own bytes
 * first (fillUint32's locals-only loop), then each becomes its float in place: for a 784x256
 * kernel in a fresh process (as at a first fit), 6–7 ms against 8–10 for the draw-by-draw loop.
 * The wasm backend draws the same floats as WebAssembly (heap-draws.ts), as it shuffles (below).
 */
export function fillUniform(out: Float32Array, lo: number, hi: number): void {
  const draws = new Uint32Array(out.buffer, out.byteOffset, out.length);
  fillUint32(draws);
  for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * (draws[i] / UINT32_RANGE);
}

/** A float drawn from the normal distribution N(mean, sd²) (Box–Muller). */
export function normal(mean = 0, sd = 1): number {
  const u1 = 1 - nextUint32() / UINT32_RANGE; // (0, 1]: log(u1) stays finite
  const u2 = nextUint32() / UINT32_RANGE;
  return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** An integer uniformly drawn from [0, n). */
export function randomInt(n: number): number {
  return Math.floor((nextUint32() / UINT32_RANGE) * n);
}

/** Shuffles `a` in place (Fisher–Yates): every permutation equally likely. */
export function shuffle(a: { length: number; [i: number]: number }): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
