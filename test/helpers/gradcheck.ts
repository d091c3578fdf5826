import { expect } from "vitest";
import type { Layer, Matrix } from "../../src/core.js";
import { randomMatrix } from "./data.js";
// Centred finite differences:  ∂f/∂θ_i ≈ (f(θ + h·e_i) − f(θ − h·e_i)) / 2h.
//
// purenn computes in float32, so f itself carries rounding noise of about
// 6e-8·|f|; divided by 2h that is ~3e-6·|f| for h = 1e-2, while the truncation
// error of the centred difference is O(h²) ≈ 1e-4 of the curvature. Hence
// h = 1e-2 and a tolerance of 1e-3 on the relative error of the whole
// gradient vector, ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖).

export const H = 1e-2;
export const TOLERANCE = 1e-3;

/** Numerical gradient of f with respect to every entry of `theta`, perturbing it in place. */
export function numericGradient(theta: Float32Array, f: () => number, h = H): Float64Array {
  const g = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const saved = theta[i];
    theta[i] = saved + h;
    const up = f();
    theta[i] = saved - h;
    const down = f();
    theta[i] = saved;
    // Use the perturbation actually stored in float32, not h itself.
    g[i] = (up - down) / (Math.fround(saved + h) - Math.fround(saved - h));
  }
  return g;
}

/** ‖a − b‖ / max(‖a‖, ‖b‖), and the index of the largest element difference. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): { error: number; worst: number } {
  let diff = 0, na = 0, nb = 0, worst = 0, worstAbs = -1;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    diff += d * d;
    na += a[i] * a[i];
    nb += b[i] * b[i];
    if (Math.abs(d) > worstAbs) {
      worstAbs = Math.abs(d);
      worst = i;
    }
  }
  const scale = Math.sqrt(Math.max(na, nb));
  return { error: scale === 0 ? 0 : Math.sqrt(diff) / scale, worst };
}

/** Σ_ij y_ij · r_ij in float64: a scalar whose gradient with respect to y is r. */
export function dot(y: Float32Array, r: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

/**
 * Checks a layer in training mode with the scalar f = Σ forward(x) ⊙ r +
 * regularizationLoss(), whose gradient with respect to the output is r.
 * `before` runs before every forward (Dropout reseeds there so that every
 * evaluation of f uses the same mask).
 */
export function checkLayer(layer: Layer, x: Matrix, rand: () => number, training = true, before = () => {}): void {
  const r = randomMatrix(x.rows, layer.outputDimFor(x.cols), rand);
  const f = () => {
    before();
    return dot(layer.forward(x, training).data, r.data) + layer.regularizationLoss();
  };
  before();
  layer.forward(x, training);
  const dx = Float32Array.from(layer.backward(r)!.data);
  const grads = layer.params().map((p) => Float32Array.from(p.grad.whole().data));

  const checks: [string, Float32Array, Float64Array][] = [["dx", dx, numericGradient(x.data, f)]];
  layer.params().forEach((p, i) => checks.push([`d${p.name}`, grads[i], numericGradient(p.value.data, f)]));
  for (const [name, analytic, numeric] of checks) {
    const { error, worst } = relativeError(analytic, numeric);
    expect(error, `${layer} ${name}: relative error ${error}, worst at ${worst}: ${analytic[worst]} vs ${numeric[worst]}`)
      .toBeLessThan(TOLERANCE);
  }
}

