/**
 * The workflow builder: chainable calls that append steps and produce exactly the definition
 * JSON of docs/workflow-definitions.md (graph format), for `Client.define` or a file.
 *
 *     new Workflow("hello")
 *       .step("a", { action: "x" })
 *       .step("b", { action: "y", dependsOn: ["a"], input: ref("steps.a.output") });
 */

import { canonicalJson } from "./canonical-json.js";
import {
  type ChildOptions,
  InvalidWorkflow,
  type Placement,
  type SignalStepOptions,
  type StepJson,
  type StepOptions,
  type WaitOptions,
  childStep,
  defined,
  signalStep,
  taskStep,
  waitStep,
} from "./steps.js";

/** At most `limit` open runs per `key` (a template over the input); `onLimit` says what then. */
export interface Concurrency {
  key: string;
  limit?: number;
  onLimit?: "queue" | "cancelNewest" | "cancelOldest";
}

export interface WorkflowOptions {
  concurrency?: Concurrency;
  /** Work not started beyond which a trigger answers 429. */
  maxBacklog?: number;
  /** Its runs' priority when a trigger gives none: 1 (highest) .. 5. */
  priority?: number;
}

export class Workflow {
  private readonly steps: StepJson[] = [];
  private readonly ids = new Set<string>();

  constructor(
    readonly id: string,
    private readonly options: WorkflowOptions = {},
  ) {}

  /** Appends a task (`action`), or a map when `forEach` is set. */
  step(id: string, options: StepOptions): this {
    return this.append(id, options, taskStep);
  }

  /** Appends a durable timer: `seconds`, or `until` a time. */
  wait(id: string, options: WaitOptions): this {
    return this.append(id, options, waitStep);
  }

  /** Appends a wait for the signal `name`. */
  signal(id: string, options: SignalStepOptions): this {
    return this.append(id, options, signalStep);
  }

  /** Appends a child run of workflow `workflow`. */
  child(id: string, options: ChildOptions): this {
    return this.append(id, options, childStep);
  }

  /** The definition as a JSON object (what JSON.stringify and Client.define send). */
  toJSON(): Record<string, unknown> {
    const { concurrency, maxBacklog, priority } = this.options;
    return defined({
      id: this.id,
      steps: this.steps.map((step) => ({ ...step })),
      concurrency: concurrency === undefined ? undefined : defined({ ...concurrency }),
      maxBacklog,
      priority,
    });
  }

  /** The definition as canonical JSON text (sorted keys, compact; no final newline). */
  toCanonicalJson(): string {
    return canonicalJson(this.toJSON());
  }

  private append<O extends Placement>(
    id: string,
    options: O,
    build: (id: string, options: O) => StepJson,
  ): this {
    if (this.ids.has(id)) throw new InvalidWorkflow(`step "${id}" is defined twice`);
    for (const dependency of options.dependsOn ?? []) {
      if (!this.ids.has(dependency)) {
        throw new InvalidWorkflow(
          `step "${id}" depends on "${dependency}", which is not a step of workflow "${this.id}" (add it first)`,
        );
      }
    }
    this.steps.push(build(id, options));
    this.ids.add(id);
    return this;
  }
}
