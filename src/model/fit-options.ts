/**
 * fit's options, checked at the door with Keras's defaults, and the data they
 * prepare: the validation rows split off, one weight per row from classWeight.
 */
import { Matrix, describe, rowsView, type MatrixLike } from "../tensor/matrix.js";
import { argmaxRow } from "../tensor/ops.js";
import { optionNames } from "../tensor/names.js";
import type { CallbackHooks } from "./callbacks.js";
import * as check from "./checks.js";

export interface FitOptions {
  /** Index of the last epoch to run (Keras: epochs counts from 0 up to this); default 1. */
  epochs?: number;
  /** Samples per gradient step; default 32. */
  batchSize?: number;
  /** Reshuffle the training rows before each epoch (seeded generator); default true. */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar, 2 one line per epoch; default 1. */
  verbose?: 0 | 1 | 2;
  /** Fraction in (0, 1) of the rows, the last ones, held out for validation; default 0. */
  validationSplit?: number;
  /** [x, y] to validate on after each epoch; overrides validationSplit. */
  validationData?: [MatrixLike, MatrixLike | ArrayLike<number>];
  /** Weight of each class in the loss, { classIndex: weight }; default all 1. */
  classWeight?: Record<number, number>;
  /** Epoch to start from (to resume training); default 0. */
  initialEpoch?: number;
  /** Callbacks: instances of Callback (EarlyStopping, …) or objects with onEpochEnd etc. */
  callbacks?: CallbackHooks | CallbackHooks[];
  /**
   * Stop at the first batch whose loss is NaN or infinite (or once an update
   * has made a weight non-finite), leave the last finite weights in the model,
   * and reject with a TrainingDivergedError that says whose they are
   * (divergence.ts); default true. (Keras only stops, with its TerminateOnNaN
   * callback; false trains on.)
   */
  terminateOnNaN?: boolean;
}

export const FIT_OPTIONS = optionNames<FitOptions>({
  epochs: true, batchSize: true, shuffle: true, verbose: true, validationSplit: true, validationData: true,
  classWeight: true, initialEpoch: true, callbacks: true, terminateOnNaN: true,
});

export interface FitSettings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  verbose: 0 | 1 | 2;
  validationSplit: number;
  validationData: [MatrixLike, MatrixLike | ArrayLike<number>] | undefined;
  classWeight: Record<number, number> | undefined;
  initialEpoch: number;
  terminateOnNaN: boolean;
}

/** Validates fit's options at the door; returns them with Keras's defaults. */
export function checkFitOptions(opts: FitOptions): FitSettings {
  const who = "fit";
  const epochs = check.checkNonNegativeInt(who, "epochs", opts.epochs ?? 1);
  const initialEpoch = check.checkNonNegativeInt(who, "initialEpoch", opts.initialEpoch ?? 0);
  const validationSplit = opts.validationSplit ?? 0;
  if (typeof validationSplit !== "number" || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit: validationSplit must be a number in [0, 1), got ${describe(validationSplit)}`);
  }
  const validationData = opts.validationData;
  if (validationData !== undefined && (!Array.isArray(validationData) || validationData.length !== 2)) {
    throw new Error(`fit: validationData must be [x, y], got ${describe(validationData)}`);
  }
  const classWeight = opts.classWeight;
  if (classWeight !== undefined) {
    if (typeof classWeight !== "object" || classWeight === null) throw new Error(`fit: classWeight must be an object { classIndex: weight }, got ${describe(classWeight)}`);
    for (const [k, v] of Object.entries(classWeight)) {
      if (!/^\d+$/.test(k) || typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new Error(`fit: classWeight must map class indices to finite weights >= 0, got ${k}: ${describe(v)}`);
      }
    }
  }
  return {
    epochs, initialEpoch, validationSplit, validationData, classWeight,
    batchSize: check.checkPositiveInt(who, "batchSize", opts.batchSize ?? 32),
    shuffle: check.checkBoolean(who, "shuffle", opts.shuffle ?? true),
    terminateOnNaN: check.checkBoolean(who, "terminateOnNaN", opts.terminateOnNaN ?? true),
    verbose: check.checkVerbose(who, opts.verbose ?? 1),
  };
}

export interface FitData {
  x: Matrix;
  y: Matrix;
  val?: { x: Matrix; y: Matrix };
}

/** How many of `rows` rows fit trains on with validationSplit `split` (Keras: the first ones; the last are held out). */
export function trainingRows(rows: number, split: number): number {
  return Math.floor(rows * (1 - split));
}

/** Keras's validation_split: rows [⌊n·(1−s)⌋, n) for validation, taken before shuffling. */
export function splitValidation(
  x: Matrix, y: Matrix, s: FitSettings, checkXY: (x: MatrixLike, y: MatrixLike | ArrayLike<number>) => [Matrix, Matrix],
): FitData {
  if (s.validationData) {
    const [vx, vy] = checkXY(s.validationData[0], s.validationData[1]);
    return { x, y, val: { x: vx, y: vy } };
  }
  if (s.validationSplit === 0) return { x, y };
  const at = trainingRows(x.rows, s.validationSplit);
  if (at === 0 || at === x.rows) {
    throw new Error(
      `fit: validationSplit ${s.validationSplit} of ${x.rows} rows leaves ${at} for training and ${x.rows - at} for validation; both must be non-empty`,
    );
  }
  return { x: rowsView(x, 0, at), y: rowsView(y, 0, at), val: { x: rowsView(x, at, x.rows), y: rowsView(y, at, y.rows) } };
}

/** One weight per training row, from its class (the argmax of its one-hot target). */
export function classWeightsFor(y: Matrix, classWeight: Record<number, number>): Float32Array {
  const w = new Float32Array(y.rows);
  for (let i = 0; i < y.rows; i++) {
    const cls = y.cols === 1 ? y.data[i] : argmaxRow(y.data, i * y.cols, y.cols);
    const weight = classWeight[cls];
    if (weight === undefined) {
      throw new Error(`fit: classWeight has no weight for class ${cls} (row ${i}); give every class in y a weight`);
    }
    w[i] = weight;
  }
  return w;
}
