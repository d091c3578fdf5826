// Comparing a fast result with the reference's, and saying where they differ the most.

/** The float32 bits of x as an integer that orders floats: adjacent floats differ by 1, and −0 is +0. */
function ordered(x: number): number {
  const i = new Int32Array(Float32Array.of(x).buffer)[0];
  return i >= 0 ? i : -(i & 0x7fffffff);
}

/** How many float32 values apart a and b are (0: the same value; NaN only matches NaN, else Infinity). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(ordered(a) - ordered(b));
}

/** "[i, j]" for element `at` of a matrix `cols` wide, or "[at]" for a vector. */
function where(at: number, cols?: number): string {
  return cols === undefined ? `[${at}]` : `[${Math.floor(at / cols)}, ${at % cols}]`;
}

/**
 * undefined when got and want hold the same bits; else how many elements differ and
 * the largest difference: where, and both values.
 */
export function bitDifference(got: Float32Array, want: Float32Array, cols?: number): string | undefined {
  if (got.length !== want.length) return `lengths differ: ${got.length} vs ${want.length}`;
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let count = 0, worst = -1, largest = -1;
  for (let i = 0; i < g.length; i++) {
    if (g[i] === w[i]) continue;
    count++;
    const d = Number.isNaN(got[i]) !== Number.isNaN(want[i]) ? Infinity : Math.abs(got[i] - want[i]);
    if (!(d <= largest)) [largest, worst] = [d, i];
  }
  if (count === 0) return undefined;
  const bitsOf = (x: number) => `0x${x.toString(16).padStart(8, "0")}`;
  return `${count} of ${g.length} differ; largest difference ${largest} at ${where(worst, cols)}: ` +
    `got ${got[worst]} (${bitsOf(g[worst])}), want ${want[worst]} (${bitsOf(w[worst])})`;
}

/** The largest ulp distance between got and want, and a message naming where it is. */
export function largestUlps(got: Float32Array, want: Float32Array): { ulps: number; report: string } {
  let ulps = 0, worst = 0, differ = 0;
  for (let i = 0; i < want.length; i++) {
    const u = ulpDistance(got[i], want[i]);
    if (u > 0) differ++;
    if (u > ulps) [ulps, worst] = [u, i];
  }
  return { ulps, report: `${differ} of ${want.length} differ; largest ${ulps} ulp at [${worst}]: got ${got[worst]}, want ${want[worst]}` };
}

/**
 * The largest |got − want| measured against `scale` (one positive number per element, or one
 * for all): max over i of |got[i] − want[i]| / scale[i], and a message naming where it is.
 */
export function largestRelative(got: Float32Array, want: Float32Array, scale: Float64Array | number, cols?: number): { error: number; report: string } {
  let error = 0, worst = 0;
  for (let i = 0; i < want.length; i++) {
    const s = typeof scale === "number" ? scale : scale[i];
    const e = Number.isNaN(got[i]) !== Number.isNaN(want[i]) ? Infinity : Math.abs(got[i] - want[i]) / (s || 1);
    if (e > error) [error, worst] = [e, i];
  }
  const s = typeof scale === "number" ? scale : scale[worst];
  return {
    error,
    report: `largest difference ${Math.abs(got[worst] - want[worst])} at ${where(worst, cols)}: got ${got[worst]}, want ${want[worst]}, ` +
      `scale ${s} (relative ${error})`,
  };
}
