/**
 * Callbacks that write files (Node only), as Keras's:
 *   ModelCheckpoint  saves the model after an epoch (every epoch, or only when
 *                    the watched figure improves: saveBestOnly)
 *   CSVLogger        appends one line of figures per epoch to a CSV file
 */
import { appendFile, writeFile } from "node:fs/promises";
import { Callback, type Logs } from "./callbacks.js";
import { describe } from "../tensor/matrix.js";
import { checkOptions, optionNames } from "../tensor/names.js";

export interface ModelCheckpointOptions {
  /** Figure to watch for saveBestOnly; default "val_loss". */
  monitor?: string;
  /** Save only when the watched figure improves; default false. */
  saveBestOnly?: boolean;
  /** "min", "max" or "auto" (max for accuracy-like names); default "auto". */
  mode?: "min" | "max" | "auto";
  /** Also save the optimizer settings; default false. */
  includeOptimizer?: boolean;
  verbose?: number;
}

const MODEL_CHECKPOINT_OPTIONS = optionNames<ModelCheckpointOptions>({
  monitor: true, saveBestOnly: true, mode: true, includeOptimizer: true, verbose: true,
});

/**
 * Saves the model to `path` after each epoch. The path may hold Keras-style
 * fields filled from the epoch (counted from 1) and the logs:
 * "ckpt/epoch{epoch:02d}-{val_loss:.3f}" → "ckpt/epoch03-0.412".
 */
export class ModelCheckpoint extends Callback {
  private best: number;
  private readonly better: (a: number, b: number) => boolean;
  private readonly monitor: string;
  private readonly saveBestOnly: boolean;
  private readonly includeOptimizer: boolean;
  private readonly verbose: number;

  constructor(private readonly path: string, options?: ModelCheckpointOptions) {
    super();
    if (typeof path !== "string" || path === "") throw new Error(`ModelCheckpoint expects a folder path, got ${describe(path)}`);
    const {
      monitor = "val_loss", saveBestOnly = false, mode = "auto", includeOptimizer = false, verbose = 0,
    } = checkOptions("ModelCheckpoint", options, MODEL_CHECKPOINT_OPTIONS);
    const max = mode === "max" || (mode === "auto" && /acc/.test(monitor));
    this.better = max ? (a, b) => a > b : (a, b) => a < b;
    this.best = max ? -Infinity : Infinity;
    this.monitor = monitor;
    this.saveBestOnly = saveBestOnly;
    this.includeOptimizer = includeOptimizer;
    this.verbose = verbose;
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const target = formatPath(this.path, epoch + 1, logs);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        console.warn(`ModelCheckpoint: "${this.monitor}" is not in the logs (available: ${Object.keys(logs).join(", ")}); skipping`);
        return;
      }
      if (!this.better(current, this.best)) return;
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${target}`);
      this.best = current;
    }
    await this.model.save(target, { includeOptimizer: this.includeOptimizer });
  }
}

/** "{epoch:02d}" and "{name:.3f}" fields, as Python's str.format fills them. */
export function formatPath(path: string, epoch: number, logs: Logs): string {
  return path.replace(/\{(\w+)(?::(0?)(\d*)(?:\.(\d+))?([df]))?\}/g, (whole, key: string, zero: string, width: string, digits: string, kind: string) => {
    const value = key === "epoch" ? epoch : logs[key];
    if (value === undefined) return whole;
    let text = kind === "f" ? value.toFixed(digits === undefined ? 6 : Number(digits)) : kind === "d" ? String(Math.trunc(value)) : String(value);
    if (width) text = text.padStart(Number(width), zero ? "0" : " ");
    return text;
  });
}

export interface CSVLoggerOptions {
  /** Column separator; default ",". */
  separator?: string;
  /** Add to an existing file instead of replacing it; default false. */
  append?: boolean;
}

const CSV_LOGGER_OPTIONS = optionNames<CSVLoggerOptions>({ separator: true, append: true });

/** Writes "epoch,<sorted log keys>" and one row per epoch, as Keras's CSVLogger. */
export class CSVLogger extends Callback {
  private keys: string[] | undefined;
  private readonly separator: string;
  private readonly append: boolean;

  constructor(private readonly filename: string, options?: CSVLoggerOptions) {
    super();
    if (typeof filename !== "string" || filename === "") throw new Error(`CSVLogger expects a file name, got ${describe(filename)}`);
    const { separator = ",", append = false } = checkOptions("CSVLogger", options, CSV_LOGGER_OPTIONS);
    this.separator = separator;
    this.append = append;
  }

  async onTrainBegin(): Promise<void> {
    this.keys = undefined;
    if (!this.append) await writeFile(this.filename, "");
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    let text = "";
    if (!this.keys) {
      this.keys = Object.keys(logs).sort();
      if (!this.append) text += ["epoch", ...this.keys].join(this.separator) + "\n";
    }
    text += [epoch, ...this.keys.map((k) => (logs[k] === undefined ? "NA" : String(logs[k])))].join(this.separator) + "\n";
    await appendFile(this.filename, text);
  }
}
