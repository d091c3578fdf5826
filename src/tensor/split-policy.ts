/**
 * When to split jobs between threads: judged from the jobs themselves.
 *
 * After each split job the caller knows two things, in its own time:
 *   saved   what the workers' pieces would have cost it: their count times τ,
 *           τ being the caller's own time per piece in that job
 *   waited  how long it waited, its own pieces done, for pieces the workers held
 * On a quiet machine a worker that claims a piece finishes it about when the
 * caller finishes its own: saved is large, waited small. When other work
 * keeps the cores busy, a worker is descheduled with a piece in hand and the
 * caller waits for it (waited large); or it wakes too late to claim any
 * (saved 0), and its waking only takes a core from the other work.
 *
 *   over a window of WINDOW jobs:  if Σ saved ≤ Σ waited (splitting gained nothing):
 *                                    run alone for `backoff` ms, then try again;
 *                                    each failed try doubles backoff, up to MAX_BACKOFF_MS
 *                                  else backoff goes back to MIN_BACKOFF_MS
 *
 * While the caller runs alone no job is published, so the workers sleep
 * (threads.node.ts) and leave their cores to the other work. A try costs one
 * window of jobs; at most one every MAX_BACKOFF_MS on a machine that stays busy.
 */

/** Jobs per verdict. */
const WINDOW = 32;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 3200;

export class SplitPolicy {
  private soloUntil = 0;
  private backoffMs = MIN_BACKOFF_MS;
  private saved = 0;
  private waited = 0;
  private jobs = 0;
  /** Periods spent running alone so far (tests and benchmarks read it). */
  backoffs = 0;

  /** Whether a job at time `now` (ms) should be split. */
  shouldSplit(now: number): boolean {
    return now >= this.soloUntil;
  }

  /** Records a split job: `saved` ms of the caller's time the workers' pieces took off it, `waited` ms it waited for them. */
  record(saved: number, waited: number, now: number): void {
    this.saved += saved;
    this.waited += waited;
    if (++this.jobs < WINDOW) return;
    if (this.saved <= this.waited) {
      this.soloUntil = now + this.backoffMs;
      this.backoffMs = Math.min(2 * this.backoffMs, MAX_BACKOFF_MS);
      this.backoffs++;
    } else {
      this.backoffMs = MIN_BACKOFF_MS;
    }
    this.saved = this.waited = this.jobs = 0;
  }
}
