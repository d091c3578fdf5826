/**
 * The two byte shuffles (i8x16.shuffle) that the float64 loops use to work on
 * float32 data two lanes at a time (loops.ts, sigmoid.ts, pointwise.ts):
 *
 *   four floats        x0 x1 x2 x3          one v128 of f32x4
 *   HIGH_PAIR_TO_LOW   x2 x3 x2 x3          so f64x2.promote_low_f32x4 widens x2, x3
 *   JOIN_LOW_PAIRS     a0 a1 b0 b1          rejoins two f32x4.demote_f64x2_zero results
 *
 * A shuffle picks 16 bytes by index from its two operands: 0–15 from the first,
 * 16–31 from the second; a float32 lane is 4 bytes.
 */
export const HIGH_PAIR_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
export const JOIN_LOW_PAIRS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
