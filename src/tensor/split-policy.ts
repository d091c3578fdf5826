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
 *   work      the flops of the jobs offered (2·m·n·k for a product; loops count their length, gathers the floats they copy)
 *   rate      work / wall time over a phase, everything the caller did between jobs included
 *
 *   trial:    TRIAL_MS splitting, then TRIAL_MS alone          (rateSplit, rateAlone)
 *   verdict:  the other way when it was more than MARGIN times faster, in two
 *             trials in a row (a pause in the middle of one trial, a collection
 *             of garbage, a time slice lost to another process must not decide);
 *             else the way it is; in the first WARM_MS, a trial that found
 *             running alone faster while the process had its cores is left out
 *   use:      the verdict for useMs; then a trial again. useMs doubles (up to
 *             MAX_USE_MS) while the verdict stays the same, and goes back to
 *             MIN_USE_MS when it changes or a first strike calls for a retrial
 *
 * Two strikes either way, not one: on a busy machine the rates of 30 ms
 * phases vary by a factor of two, and a rule that went back to splitting on
 * one good trial split 46% of the time where splitting was 1.25x slower;
 * two in a row, 14% (test/split-policy.test.ts: a noisy busy machine).
 *
 * Stalls, between trials: a split job whose caller, its own pieces done, waits
 * much longer than a piece takes (STALL_PIECES of them, and STALL_MS at
 * least) has a worker the OS has descheduled. On a quiet machine that is
 * rare and short; on a busy one a thread is descheduled every few
 * milliseconds, and a short fit would be over before two trials had found it
 * out. Stalls that cost STALL_SHARE of the last STALL_WINDOW_MS in waiting end
 * the splitting at once, as two strikes would: then they cost more than two
 * threads can save on the jobs between them. A count of stalls is not enough:
 * a virtual machine's quiet core still stops its worker for 1–8 ms (3.5 on
 * average) some 16 times a second, now and then 3 times within 100 ms. On an
 * AMD EPYC under KVM, batch 128, that was 10 stalls in a 0.6 s fit; ending the
 * splitting at 3 stalls within 100 ms, as this rule once did, made epochs
 * 1.2–1.5x slower than always splitting (npm run bench -- profile;
 * test/split-policy.test.ts: a quiet virtual machine's rare stalls). On a
 * busy machine the help rule below is the one that ends the splitting first
 * (two busy processes beside a fit at batch 32: the workers computed 15% of
 * the pieces, and one stall in 0.5 s).
 * The help rule: where the workers seldom get a core, the caller
 * takes their pieces itself (nothing is owned), and waits for nothing; but
 * each job still wakes a worker that then spins against the caller. When the
 * other threads computed less than MIN_HELP of the pieces, on average over
 * the last ~HELP_MS of split jobs (and HELP_JOBS of them at least), splitting
 * ends too. The average is over time, not over a count of jobs: a quiet
 * virtual machine stops a worker for a few milliseconds now and then, which
 * at batch 128 is ~30 jobs and at batch 32 ~100, and an average over the last
 * 32 jobs ended the splitting at such a stop. Fits of 30,000 samples at batch
 * 128 in fresh processes after a warm-up (a throwaway script, 5 processes
 * each): averaged over 32 jobs, 5 of 5 processes stopped splitting, and their
 * fits took 0.45–0.77 s; over ~100 ms, 1 of 5, 0.39–0.67 s.
 *
 * Whose work slowed a split trial, at the start: in its first second or two
 * a process's V8 compiles the workers' and the caller's code on helper
 * threads, and a fit at batch 128 then found splitting 2–5x slower in its
 * first trials and ran alone, though splitting was faster even there (a first
 * fit of 30,000 samples 0.83 s split, 0.96 s alone); once alone, a trial of
 * splitting seldom won by MARGIN twice in a row (the worker, woken from
 * sleep, starts slower), and every fit after ran alone, 0.55–0.70 s against
 * 0.43–0.47 s split. So for WARM_MS from the first job offered, a trial that
 * found running alone faster is left out (no strike, none taken back; the
 * next trial after MIN_USE_MS) when over its split half this process used
 * FULL_SHARE of its threads' cores or more in CPU time (all its threads
 * together; Node tells, threads.node.ts): those trials had 1.6–1.9 of 2
 * cores. Other work that takes the cores shows as a smaller share: beside
 * two busy processes the split trials had 0.6–1.3. Only at the start: the
 * threads spin while they wait (a worker SPIN_MS after each job), so on a
 * quiet machine the share is near full whether splitting pays or not, and
 * without an end the rule would keep splitting where it loses for good
 * (memory-bound jobs, two threads of one core).
 *
 * A trial costs at most TRIAL_MS in the slower way, every MAX_USE_MS at the
 * most once things are steady (about 1%). A pause of more than GAP_MS between
 * jobs (the caller doing something else, or descheduled) is left out of a
 * trial's time, so that only time spent on jobs is compared. While the caller runs alone no
 * job is published, and the workers sleep (threads.node.ts).
 */

const TRIAL_MS = 30;
const MIN_USE_MS = 200;
const MAX_USE_MS = 3200;
/** Run alone only when that is clearly faster: the two rates are noisy, and splitting is the default. */
const MARGIN = 1.1;
const GAP_MS = 10;
const STALL_PIECES = 2;
const STALL_MS = 1;
const STALL_SHARE = 0.25;
const STALL_WINDOW_MS = 100;
const MIN_HELP = 0.15;
const HELP_MS = 100;
const HELP_JOBS = 32;
const FULL_SHARE = 0.75;
const WARM_MS = 3000;

type Phase = "trial: split" | "trial: alone" | "use";

/** What the process's CPU time was (ms, all its threads together), and how many threads split jobs. */
export interface CpuClock {
  usedMs(): number;
  threads: number;
}

export class SplitPolicy {
  private phase: Phase = "use";
  private split = true;
  /** Time spent on jobs in the current trial phase (ms). */
  private active = 0;
  private phaseEnd = MIN_USE_MS;
  private useMs = MIN_USE_MS;
  private work = 0;
  private rateSplit = 0;
  private lastJob = -Infinity;
  /** Trials in a row that found the other way faster. */
  private strikes = 0;
  /** The stalls of the last STALL_WINDOW_MS: when each ended and how long the caller waited (ms), newest last. */
  private stalls: { at: number; waited: number }[] = [];
  /** Their waits, summed (ms). */
  private stalledMs = 0;
  /** The share of split jobs' pieces the other threads computed: a moving average over ~HELP_MS, over how many jobs, and when the last ended. */
  private help = 0.5;
  private helpJobs = 0;
  private helpAt = -Infinity;
  /** The process's CPU time and the wall time when the split half of a trial began (ms), and whether the process had its cores in it. */
  private cpuAt = 0;
  private wallAt = 0;
  private hadCores = false;
  /** When the first job was offered (ms): WARM_MS counts from there. */
  private firstOffer: number | undefined;
  /** Periods spent running alone so far (tests and benchmarks read it). */
  backoffs = 0;

  /** `cpu`: the process's CPU time, to tell other work from its own; without it, every lost trial counts. */
  constructor(private readonly cpu?: CpuClock) {}

  /**
   * A split job has ended at `now`: its caller waited `waitedMs` for the other threads after its
   * own pieces, which took it `pieceMs` each, and the others computed the share `helped` of its
   * pieces. Returns whether that was a stall.
   */
  splitEnded(waitedMs: number, pieceMs: number, helped: number, now: number): boolean {
    // Each job weighs as much as the time since the split job before it, up to GAP_MS (as a trial leaves longer pauses out).
    this.help += (helped - this.help) * (Math.min(GAP_MS, Math.max(0, now - this.helpAt)) / HELP_MS);
    this.helpAt = now;
    this.helpJobs++;
    const stalled = waitedMs >= Math.max(STALL_MS, STALL_PIECES * pieceMs);
    if (stalled) {
      this.stalls.push({ at: now, waited: waitedMs });
      this.stalledMs += waitedMs;
    }
    // Only the window's stalls count, at every job: an old one (a large job split while running alone) must not end a later splitting.
    while (this.stalls.length > 0 && now - this.stalls[0].at > STALL_WINDOW_MS) this.stalledMs -= this.stalls.shift()!.waited;
    const unhelped = this.helpJobs >= HELP_JOBS && this.help < MIN_HELP;
    const splitting = (this.phase === "use" && this.split) || this.phase === "trial: split";
    if (splitting && (this.stalledMs >= STALL_SHARE * STALL_WINDOW_MS || unhelped)) this.stopSplitting(now);
    return stalled;
  }

  /** Runs alone from `now`: for MIN_USE_MS after splitting; as after a trial won by running alone, in a trial. */
  private stopSplitting(now: number): void {
    this.stalls = [];
    this.stalledMs = 0;
    this.help = 0.5;
    this.helpJobs = 0;
    if (this.phase === "trial: split" && !this.split) {
      this.decide(false, now); // trying to split again, from running alone: it still does not pay
      return;
    }
    this.strikes = 0;
    this.backoffs++;
    this.split = false;
    this.use(MIN_USE_MS, now);
  }

  /** A job of `work` flops arrives at time `now` (ms): whether to split it. */
  offer(work: number, now: number): boolean {
    // A trial counts the time from job to job, but not a pause longer than GAP_MS (the caller
    // doing something else, or descheduled: on a busy machine that comes every few
    // milliseconds, and a trial that started afresh at each one never ended).
    const step = now - this.lastJob;
    this.lastJob = now;
    this.firstOffer ??= now;
    if (this.phase !== "use" && step <= GAP_MS) this.active += step;
    if (this.phase === "use" && now >= this.phaseEnd) {
      this.startPhase("trial: split", now);
      this.cpuAt = this.cpu?.usedMs() ?? 0;
      this.wallAt = now;
    } else if (this.phase === "trial: split" && this.active >= TRIAL_MS) {
      this.rateSplit = this.work / this.active;
      const warm = now - this.firstOffer! < WARM_MS;
      this.hadCores = warm && this.cpu !== undefined && this.cpu.usedMs() - this.cpuAt >= FULL_SHARE * this.cpu.threads * (now - this.wallAt);
      this.startPhase("trial: alone", now);
    } else if (this.phase === "trial: alone" && this.active >= TRIAL_MS) {
      const rateAlone = this.work / this.active;
      const otherWay = this.split ? rateAlone > MARGIN * this.rateSplit : this.rateSplit > MARGIN * rateAlone;
      if (otherWay && this.split && this.hadCores) this.leaveTrialOut(now);
      else this.decide(otherWay, now);
    }
    this.work += work;
    return this.phase === "trial: split" || (this.phase === "use" && this.split);
  }

  /**
   * The last `ms` went to a job split without being offered (a large product, threads.node.ts):
   * a trial leaves them out, as it does a pause.
   */
  leaveOut(ms: number): void {
    this.lastJob += ms;
  }

  private startPhase(phase: Phase, now: number): void {
    this.phase = phase;
    this.active = 0;
    this.work = 0;
  }

  /** Keeps to the way it is in for `ms` from `now`, then tries again. */
  private use(ms: number, now: number): void {
    this.useMs = ms;
    this.startPhase("use", now);
    this.phaseEnd = now + ms;
  }

  /** After a trial slowed by the process's own start-up: as if it had not been, but the next one soon. */
  private leaveTrialOut(now: number): void {
    this.use(MIN_USE_MS, now);
  }

  /** After a trial: `otherWay` if the way not in use was clearly faster. */
  private decide(otherWay: boolean, now: number): void {
    if (!otherWay) {
      this.strikes = 0;
      this.use(Math.min(2 * this.useMs, MAX_USE_MS), now);
    } else if (++this.strikes < 2) {
      this.use(MIN_USE_MS, now); // one strike: keep to this way, try again soon
    } else {
      this.strikes = 0;
      if (this.split) this.backoffs++;
      this.split = !this.split;
      this.use(MIN_USE_MS, now);
    }
  }
}
