/** Why a run or a step has not started yet, as a notice that stands out ("Waiting for a slot of action
 * charge-card"); nothing while it is not waiting. `reason` is the API's `waitingFor`. */
export function WaitingFor({ reason, testId }: { reason: string | null | undefined; testId: string }) {
  if (!reason) return null;
  return (
    <p className="notice" data-testid={testId}>
      Waiting for {reason}
    </p>
  );
}
