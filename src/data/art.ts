/**
 * Terminal art for a grayscale image, two by two pixels per character, using
 * the Unicode quadrant blocks: each character shows which of its four pixels
 * (top-left, top-right, bottom-left, bottom-right) are brighter than 0.5.
 * A 28x28 MNIST digit becomes 14 lines of 14 characters.
 */

// Index = tl·8 + tr·4 + bl·2 + br·1.
const QUADRANTS = [" ", "▗", "▖", "▄", "▝", "▐", "▞", "▟", "▘", "▚", "▌", "▙", "▀", "▜", "▛", "█"];

/** `pixels` is rows x cols, row-major, in [0, 1] (or 0..255, scaled by `max`). */
export function digitArt(pixels: ArrayLike<number>, rows: number, cols: number, max = 1): string[] {
  const on = (r: number, c: number) => (r < rows && c < cols && pixels[r * cols + c] > 0.5 * max ? 1 : 0);
  const lines: string[] = [];
  for (let r = 0; r < rows; r += 2) {
    let line = "";
    for (let c = 0; c < cols; c += 2) {
      line += QUADRANTS[on(r, c) * 8 + on(r, c + 1) * 4 + on(r + 1, c) * 2 + on(r + 1, c + 1)];
    }
    lines.push(line);
  }
  return lines;
}
