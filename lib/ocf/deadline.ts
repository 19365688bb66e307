/**
 * The time an action may still spend. Child commands and kernel writes get a
 * budget below what is left, so the agent always answers before Pacemaker's
 * own timeout kills it and the agent can report why.
 */
export class Deadline {
  private readonly endsAt: number;

  constructor(
    readonly timeoutMs: number,
    /** Reserved to report the failure after a timed-out step. */
    readonly marginMs = Math.min(2000, Math.floor(timeoutMs / 10)),
    // process.hrtime, not performance.now(): the latter loads perf_hooks (~1 ms per fork).
    private readonly now: () => number = () => Number(process.hrtime.bigint()) / 1e6,
    /**
     * How much slower than the hardware the agent's own step limits were chosen for this node is taken
     * to be: the action's timeout over the agent's default for it (1 to 10). An administrator who gave
     * the operation more time (by hand, or with the cluster description's timeoutScale) gives each of
     * its built-in steps proportionally more too.
     */
    readonly stepScale = 1,
  ) {
    this.endsAt = now() + timeoutMs;
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now());
  }

  /** The time a step may take: at most maxMs, and never past the deadline less the margin (at least 1 ms). */
  budget(maxMs = Infinity): number {
    return Math.max(1, Math.min(maxMs, this.remainingMs() - this.marginMs));
  }

  /** The time one of the agent's built-in steps may take: its limit for normal hardware, times stepScale. */
  step(limitMs: number): number {
    return this.budget(limitMs * this.stepScale);
  }

  expired(): boolean {
    return this.remainingMs() <= this.marginMs;
  }
}
