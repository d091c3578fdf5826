/**
 * From a drawing to a 28x28 MNIST input, the way MNIST's digits were made.
 * Browser-safe (plain arrays in, plain arrays out), so it is tested in Node.
 *
 * LeCun, Cortes and Burges describe it (yann.lecun.com/exdb/mnist): the
 * digits "were size normalized to fit in a 20x20 pixel box while preserving
 * their aspect ratio", with anti-aliasing, and then "centered in a 28x28 image
 * by computing the center of mass of the pixels, and translating the image so
 * as to position this point at the center of the 28x28 field". So:
 *
 *   1. crop:   the bounding box of the ink (pixels above INK_THRESHOLD)
 *   2. scale:  s = 20 / max(boxWidth, boxHeight); the box becomes
 *              round(w·s) x round(h·s) pixels, each the AVERAGE of the source
 *              area it covers (a box filter: this is the anti-aliasing)
 *   3. centre: centre of mass in pixel indices, cx = Σ v·x / Σ v (cy alike);
 *              paste the scaled digit at offset round(14 − cx), round(14 − cy)
 *              in a blank 28x28, clamped so no ink falls off the edge. So the
 *              centre of mass lands on pixel (14, 14), as in MNIST: its test
 *              digits' mean centre of mass is pixel (14.0, 14.0), and every one
 *              of them fills a 20-pixel box in its longer direction.
 *
 * Check (test/browser.test.ts): an MNIST digit blown up 10x to 280x280 comes
 * back from toMnistInput as itself, to a mean squared difference of ~1e-7.
 *
 * A network trained on MNIST has only seen digits prepared this way; feeding
 * it a raw 280→28 shrink of the canvas (small, off-centre digits) works badly.
 */

/** Source pixels at or below this ink level count as paper when cropping. */
export const INK_THRESHOLD = 0.05;
const BOX = 20;
const SIDE = 28;

/**
 * `ink`: width x height values in [0, 1], row-major (1 = full ink).
 * Returns 784 values in [0, 1], row-major, or null when nothing is drawn.
 */
export function toMnistInput(ink: ArrayLike<number>, width: number, height: number): Float32Array | null {
  if (ink.length !== width * height) throw new Error(`toMnistInput: ${width}x${height} needs ${width * height} values, got ${ink.length}`);
  const box = inkBox(ink, width, height);
  if (!box) return null;
  const s = BOX / Math.max(box.w, box.h);
  const w = Math.max(1, Math.round(box.w * s)), h = Math.max(1, Math.round(box.h * s));
  const small = boxResample(ink, width, box, w, h);

  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const ox = clamp(Math.round(SIDE / 2 - mx / mass), SIDE - w);
  const oy = clamp(Math.round(SIDE / 2 - my / mass), SIDE - h);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < h; y++) out.set(small.subarray(y * w, (y + 1) * w), (oy + y) * SIDE + ox);
  return out;
}

interface Box { x: number; y: number; w: number; h: number }

/** The smallest rectangle holding every pixel above INK_THRESHOLD, or null. */
function inkBox(ink: ArrayLike<number>, width: number, height: number): Box | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * Area-average resampling of `box` to w x h. Along x, output pixel i covers
 * source [box.x + i·box.w/w, box.x + (i+1)·box.w/w); each source pixel counts
 * with the length of its overlap (likewise along y), and the sum is divided by
 * the covered area. Separable: first the columns' weights, then the rows'.
 */
function boxResample(ink: ArrayLike<number>, width: number, box: Box, w: number, h: number): Float32Array {
  const xs = overlaps(box.x, box.w, w), ys = overlaps(box.y, box.h, h);
  const out = new Float32Array(w * h);
  const area = (box.w / w) * (box.h / h);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      let sum = 0;
      for (const [sy, wy] of ys[j]) {
        for (const [sx, wx] of xs[i]) sum += wy * wx * ink[sy * width + sx];
      }
      out[j * w + i] = Math.min(1, sum / area);
    }
  }
  return out;
}

/** For each of `n` output cells over source [start, start + len): the [source index, overlap] pairs. */
function overlaps(start: number, len: number, n: number): [number, number][][] {
  const step = len / n;
  return Array.from({ length: n }, (_, i) => {
    const a = start + i * step, b = a + step;
    const cells: [number, number][] = [];
    for (let p = Math.floor(a); p < Math.ceil(b); p++) {
      const overlap = Math.min(b, p + 1) - Math.max(a, p);
      if (overlap > 1e-9) cells.push([p, overlap]);
    }
    return cells;
  });
}
