/**
 * A Keras-style progress bar (keras.utils.Progbar), written to stdout.
 *
 *   verbose 1, while running (terminal only, redrawn in place with "\r"):
 *      245/1875 [===>..........................] - ETA: 3s - loss: 0.5012 - accuracy: 0.8520
 *   verbose 1, at the end of the epoch:
 *     1875/1875 [==============================] - 4s 2ms/step - loss: 0.3012 - accuracy: 0.9120
 *   verbose 2, one line per epoch:
 *     1875/1875 - 4s - loss: 0.3012 - accuracy: 0.9120 - 4s/epoch - 2ms/step
 *
 * As in Keras, when stdout is not a terminal only the final line is written.
 * Works without Node too: without process.stdout, lines go to console.log.
 */

const WIDTH = 30;
const REDRAW_MS = 50;

/** Where progress text goes: a terminal-like writer. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

/** stdout when running under Node, console.log elsewhere. */
export function defaultSink(): ProgressSink {
  const stdout = (globalThis as { process?: { stdout?: { write(s: string): unknown; isTTY?: boolean } } })
    .process?.stdout;
  if (stdout) return { write: (s) => void stdout.write(s), isTTY: stdout.isTTY === true };
  let line = "";
  return {
    write(s) {
      line += s;
      const parts = line.split("\n");
      line = parts.pop() ?? "";
      for (const p of parts) console.log(p);
    },
    isTTY: false,
  };
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastWidth = 0;

  constructor(
    private readonly target: number,
    private readonly verbose: number,
    private readonly sink: ProgressSink = defaultSink(),
  ) {}

  /** Step `current` of `target` is done; `values` gives the running means (called only when drawing). */
  update(current: number, values: () => [string, number][]): void {
    const now = Date.now();
    const final = current >= this.target;
    if (this.verbose === 0) return;
    if (!final && (!this.sink.isTTY || this.verbose !== 1 || now - this.lastDraw < REDRAW_MS)) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const perStep = current > 0 ? elapsed / current : 0;
    const count = `${String(current).padStart(String(this.target).length)}/${this.target}`;
    const metrics = values().map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join("");
    let line: string;
    if (this.verbose === 2) {
      line = `${count} - ${Math.round(elapsed)}s${metrics} - ${Math.round(elapsed)}s/epoch - ${formatPerStep(perStep)}`;
    } else if (final) {
      line = `${count} ${bar(current, this.target)} - ${Math.round(elapsed)}s ${formatPerStep(perStep)}${metrics}`;
    } else {
      const eta = Math.round(perStep * (this.target - current));
      line = `${count} ${bar(current, this.target)} - ETA: ${formatEta(eta)}${metrics}`;
    }
    // Redraw in place on a terminal; pad over the longer line drawn before.
    const pad = this.sink.isTTY ? " ".repeat(Math.max(0, this.lastWidth - line.length)) : "";
    this.lastWidth = line.length;
    const prefix = this.sink.isTTY && this.verbose === 1 ? "\r" : "";
    this.sink.write(prefix + line + pad + (final ? "\n" : ""));
  }
}

/** "[=====>........]": '=' for done steps, '>' at the head while running. */
function bar(current: number, target: number): string {
  const done = Math.floor((WIDTH * current) / target);
  let s = "[";
  if (done > 0) s += "=".repeat(done - 1) + (current < target ? ">" : "=");
  return s + ".".repeat(WIDTH - done) + "]";
}

/** Keras prints 4 decimals, or scientific notation for tiny values. */
export function formatValue(v: number): string {
  return Math.abs(v) > 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4);
}

function formatPerStep(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

function formatEta(s: number): string {
  if (s >= 3600) return `${Math.floor(s / 3600)}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${pad2(s % 60)}`;
  return `${s}s`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
