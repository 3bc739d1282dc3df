/**
 * Logging of skipped stale attempts (docs/protocol.md, item 12) and of duplicate copies not
 * started (item 17): each at DEBUG, and a summary at INFO at most every 10 s, e.g.
 * `skipped 243 stale attempts (deadline passed: 230, withdrawn: 10, duplicate: 3)`.
 */

import type { Logger } from "../logging.js";
import type { SkipReason } from "../protocol/messages.js";
import { type Clock, type TimerHandle, systemClock } from "./clock.js";

export const SKIP_SUMMARY_INTERVAL_MS = 10_000;

/** Why a job was not started: a stale attempt's reason, or a duplicate copy (item 17). */
export type SkipKind = SkipReason | "Duplicate";

export class SkipSummary {
  private deadlinePassed = 0;
  private withdrawn = 0;
  private duplicate = 0;
  private lastAt = -Infinity;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly intervalMs = SKIP_SUMMARY_INTERVAL_MS,
  ) {}

  record(jobId: string, reason: SkipKind): void {
    if (reason === "Duplicate") {
      this.logger.debug("skipped a duplicate copy of a job", { jobId });
      this.duplicate++;
    } else {
      this.logger.debug("skipped a stale attempt", { jobId, reason });
      if (reason === "DeadlinePassed") this.deadlinePassed++;
      else this.withdrawn++;
    }
    const wait = this.lastAt + this.intervalMs - this.clock.monotonic();
    if (wait <= 0) this.flush();
    else this.timer ??= this.clock.setTimeout(() => this.flush(), wait);
  }

  /** Logs what was counted since the last summary (nothing if nothing was). */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const total = this.deadlinePassed + this.withdrawn + this.duplicate;
    if (total === 0) return;
    this.logger.info(
      `skipped ${total} stale attempt${total === 1 ? "" : "s"} (deadline passed: ${this.deadlinePassed}, withdrawn: ${this.withdrawn}, duplicate: ${this.duplicate})`,
    );
    this.deadlinePassed = 0;
    this.withdrawn = 0;
    this.duplicate = 0;
    this.lastAt = this.clock.monotonic();
  }
}
