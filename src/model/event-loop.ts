/**
 * Letting the event loop run while fit trains. Training is one long run of
 * synchronous work; a page or a server that trains must still answer timers,
 * I/O and clicks, and a timer that sets `model.stopTraining` must get its turn.
 * So fit asks `due` after every batch and, once ~50 ms of work have passed
 * since it last let go, awaits `yieldNow()`, which lets everything that is
 * waiting run before training goes on (TensorFlow.js's `yieldEvery: "auto"`
 * does the same, by time rather than by a count of batches).
 *
 * A yield costs microseconds: setImmediate in Node (a setTimeout(0) waits
 * at least 1 ms there), a MessageChannel message in a browser (where nested
 * setTimeouts wait at least 4 ms). At 50 ms apart that is far below 0.1% of
 * the training time.
 */

/** Work between yields, in milliseconds. */
export const YIELD_EVERY_MS = 50;

/** Milliseconds from a monotonic clock (performance.now, in Node and in browsers). */
export function now(): number {
  return performance.now();
}

export class EventLoopYield {
  private last = now();

  /** Whether YIELD_EVERY_MS of work have passed since the last yield. */
  get due(): boolean {
    return now() - this.last >= YIELD_EVERY_MS;
  }

  /** Lets every waiting timer, I/O callback and event run, then resumes. */
  async yieldNow(): Promise<void> {
    await nextTask();
    this.last = now();
  }
}

/** Resolves once the event loop has run what was waiting: a new task, without a timer's minimum delay. */
function nextTask(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === "function") {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.addEventListener("message", () => {
        channel.port1.close();
        resolve();
      });
      channel.port1.start();
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
