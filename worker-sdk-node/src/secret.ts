/** A secret value (a SASL password) that never shows in logs, inspect, toString or JSON. */

import { inspect } from "node:util";

const MASK = "***";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plain value, for the Kafka client only. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }
}
