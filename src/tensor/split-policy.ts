/**
 * When to split jobs between threads: judged from the jobs themselves.
 *
 * After each split job the caller knows how long it took, from publishing it
 * to its last piece done (`wall`), and how long it would have taken alone
 * (`solo` = P·τ, τ being the caller's own time per piece in that job). Their
 * ratio is about 1/threads plus the hand-off on a quiet machine (0.55–0.7 on
 * two threads, measured), and 1 or more when the other threads do not run —
 * their cores are busy with other work — and the caller waits for them.
 *
 *   mean ← mean + (ratio − mean) / WINDOW        (an average over recent jobs)
 *   after WINDOW jobs, if mean > LOSS:  run alone for `backoff` ms, then try again;
 *                                       each failed try doubles backoff, up to MAX_BACKOFF_MS
 *   after a whole window with mean ≤ LOSS: backoff goes back to MIN_BACKOFF_MS
 *
 * While the caller runs alone no job is published, so the workers sleep
 * (threads.node.ts) and leave their cores to the other work. A try costs one
 * window of jobs; at most one every MAX_BACKOFF_MS on a machine that stays busy.
 */

/** Jobs over which the ratio is averaged before a verdict. */
const WINDOW = 16;
/** Split while the average ratio stays at or below this (1: no faster than alone; keep a margin). */
const LOSS = 0.9;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 3200;

export class SplitPolicy {
  private soloUntil = 0;
  private backoffMs = MIN_BACKOFF_MS;
  private mean = 0;
  private jobs = 0;
  /** Periods spent running alone so far (tests and benchmarks read it). */
  backoffs = 0;

  /** Whether a job at time `now` (ms) should be split. */
  shouldSplit(now: number): boolean {
    return now >= this.soloUntil;
  }

  /** Records a split job: `wall` ms from publishing to done, against `solo` ms estimated for the caller alone. */
  record(wall: number, solo: number, now: number): void {
    if (!(solo > 0)) return;
    const ratio = wall / solo;
    this.mean = this.jobs === 0 ? ratio : this.mean + (ratio - this.mean) / WINDOW;
    this.jobs++;
    if (this.jobs < WINDOW) return;
    if (this.mean > LOSS) {
      this.soloUntil = now + this.backoffMs;
      this.backoffMs = Math.min(2 * this.backoffMs, MAX_BACKOFF_MS);
      this.backoffs++;
      this.jobs = 0;
    } else if (this.jobs % WINDOW === 0) {
      this.backoffMs = MIN_BACKOFF_MS;
    }
  }
}
