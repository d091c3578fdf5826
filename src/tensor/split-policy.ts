/**
 * When to split jobs between threads: decided by trying both, now and then.
 *
 * Whether splitting pays depends on the machine at this moment. On a quiet
 * one, two threads finish a product in about 0.6 of the time. When other work
 * keeps the cores busy, a worker is descheduled with a piece in hand and the
 * caller waits for it, and a worker that spins between jobs takes time from
 * the caller and from the other work alike: splitting can then be slower
 * than running alone. No single job shows that; the rate of work does.
 *
 *   work      the flops of the jobs offered (2·m·n·k for a product; loops count their length)
 *   rate      work / wall time over a phase, everything the caller did between jobs included
 *
 *   trial:    TRIAL_MS splitting, then TRIAL_MS alone          (rateSplit, rateAlone)
 *   verdict:  alone if rateAlone > MARGIN · rateSplit — and, to switch from
 *             splitting to alone, two such trials in a row (a pause in the
 *             middle of one trial, a collection of garbage, must not decide)
 *   use:      the verdict for useMs; then a trial again. useMs doubles (up to
 *             MAX_USE_MS) while the verdict stays the same, and goes back to
 *             MIN_USE_MS when it changes or a first strike calls for a retrial
 *
 * A trial costs at most TRIAL_MS in the slower way, every MAX_USE_MS at the
 * most once things are steady (about 1%). A pause of more than GAP_MS between
 * jobs (the caller doing something else) starts the trial's phase afresh, so
 * that only time spent on jobs is compared. While the caller runs alone no
 * job is published, and the workers sleep (threads.node.ts).
 */

const TRIAL_MS = 30;
const MIN_USE_MS = 200;
const MAX_USE_MS = 3200;
/** Run alone only when that is clearly faster: the two rates are noisy, and splitting is the default. */
const MARGIN = 1.1;
const GAP_MS = 10;

type Phase = "trial: split" | "trial: alone" | "use";

export class SplitPolicy {
  private phase: Phase = "use";
  private split = true;
  private phaseStart = 0;
  private phaseEnd = MIN_USE_MS;
  private useMs = MIN_USE_MS;
  private work = 0;
  private rateSplit = 0;
  private lastJob = -Infinity;
  /** Trials in a row that found running alone faster, while splitting. */
  private strikes = 0;
  /** Periods spent running alone so far (tests and benchmarks read it). */
  backoffs = 0;

  /** A job of `work` flops arrives at time `now` (ms): whether to split it. */
  offer(work: number, now: number): boolean {
    if (this.phase !== "use" && now - this.lastJob > GAP_MS) this.startPhase(this.phase, now);
    this.lastJob = now;
    if (this.phase === "use" && now >= this.phaseEnd) this.startPhase("trial: split", now);
    else if (this.phase === "trial: split" && now - this.phaseStart >= TRIAL_MS) {
      this.rateSplit = this.work / (now - this.phaseStart);
      this.startPhase("trial: alone", now);
    } else if (this.phase === "trial: alone" && now - this.phaseStart >= TRIAL_MS) {
      this.decide(this.work / (now - this.phaseStart) <= MARGIN * this.rateSplit, now);
    }
    this.work += work;
    return this.phase === "trial: split" || (this.phase === "use" && this.split);
  }

  private startPhase(phase: Phase, now: number): void {
    this.phase = phase;
    this.phaseStart = now;
    this.work = 0;
  }

  private decide(split: boolean, now: number): void {
    if (this.split && !split && ++this.strikes < 2) {
      this.useMs = MIN_USE_MS; // one strike: keep splitting, try again soon
    } else {
      if (split) this.strikes = 0;
      this.useMs = split === this.split ? Math.min(2 * this.useMs, MAX_USE_MS) : MIN_USE_MS;
      if (this.split && !split) this.backoffs++;
      this.split = split;
    }
    this.startPhase("use", now);
    this.phaseEnd = now + this.useMs;
  }
}
