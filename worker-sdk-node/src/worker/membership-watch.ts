/**
 * Tells when a consumer has silently lost its group membership (issue 26).
 *
 * When an offset commit is refused with a rejoin error (the coordinator moved or reloaded after a
 * broker restart), @platformatic/kafka 1.35 rejoins the group from within `commit()`. The join
 * cancels the heartbeat first; if it then fails (the broker is still down), the commit rejects
 * and nothing else happens: no heartbeat is scheduled again, no 'error' is emitted, and the
 * consumer holds its partitions without fetching until the process restarts. A living heartbeat
 * loop reports every interval, success or failure, and a join that succeeds reports too. So once
 * a commit failed, a session timeout without any such report means the membership is gone.
 */

export class MembershipWatch {
  /** When the first commit failed since the heartbeat last reported (monotonic ms). */
  private suspectSince: number | undefined;

  constructor(private readonly limitMs: number) {}

  /** A commit failed: the client may have rejoined and failed (see above). */
  commitFailed(now: number): void {
    this.suspectSince ??= now;
  }

  /** The heartbeat loop reported (a heartbeat ended or failed) or a join succeeded. */
  alive(): void {
    this.suspectSince = undefined;
  }

  /** How long the consumer has been silent since a failed commit, once that exceeds the limit. */
  lapsed(now: number): number | undefined {
    if (this.suspectSince === undefined) return undefined;
    const silent = now - this.suspectSince;
    return silent > this.limitMs ? silent : undefined;
  }
}
