/** Topic and consumer-group names: the one place they are spelled (see docs/protocol.md). */

const ACTION_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;
const RESERVED_ACTIONS: ReadonlySet<string> = new Set(["DLT"]);

export function isValidAction(action: string): boolean {
  return ACTION_PATTERN.test(action) && !RESERVED_ACTIONS.has(action);
}

export function jobTopic(prefix: string, action: string): string {
  return `${prefix}.${action}`;
}

export function jobsDltTopic(prefix: string): string {
  return `${prefix}.DLT`;
}

export function workerGroup(groupPrefix: string, action: string): string {
  return `${groupPrefix}.${action}`;
}
