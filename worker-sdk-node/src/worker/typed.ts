/**
 * Typed handlers: a handler registered with schemas gets its input validated (and converted) by
 * the input schema, and its return value by the output schema, at the SDK boundary. A schema is
 * any Standard Schema (`~standard`: zod >= 3.24, valibot, arktype) or an object with
 * `parse(value)` (zod's older API). A value a schema refuses fails the attempt, non-retryably,
 * as `InvalidPayload`, with a message naming the side and the field
 * (`input: total: Invalid input: expected number, received string`).
 */

import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ApplicationError } from "../errors.js";
import type { Handler } from "./execute.js";

/** A schema giving values of type T. */
export type Schema<T> = StandardSchemaV1<unknown, T> | { parse(value: unknown): T };

export interface HandlerSchemas<In, Out> {
  input?: Schema<In>;
  output?: Schema<Out>;
}

type Side = "input" | "output";

interface Issue {
  path: string;
  message: string;
}

/** The failure type of a value a schema refused. */
export const INVALID_PAYLOAD = "InvalidPayload";

/** `handler` behind its schemas (the handler itself when there are none). */
export function typedHandler<In, Out>(
  handler: Handler<In, Out>,
  schemas: HandlerSchemas<In, Out> = {},
): Handler {
  const { input, output } = schemas;
  if (input === undefined && output === undefined) return handler as Handler;
  const checkInput = input === undefined ? undefined : checker(input, "input");
  const checkOutput = output === undefined ? undefined : checker(output, "output");
  return async (payload, context) => {
    const value = checkInput === undefined ? payload : await checkInput(payload);
    const result = await handler(value as In, context);
    return checkOutput === undefined ? result : checkOutput(result);
  };
}

function checker<T>(schema: Schema<T>, side: Side): (value: unknown) => Promise<T> {
  if ("~standard" in schema) {
    const standard = schema["~standard"];
    return async (value) => {
      const result = await standard.validate(value);
      if (result.issues !== undefined) throw invalid(side, result.issues.map(standardIssue));
      return result.value;
    };
  }
  return async (value) => {
    try {
      return schema.parse(value);
    } catch (error) {
      throw invalid(side, thrownIssues(error));
    }
  };
}

function invalid(side: Side, issues: Issue[]): ApplicationError {
  const text = issues.map(({ path, message }) => (path === "" ? message : `${path}: ${message}`));
  return new ApplicationError(`${side}: ${text.join("; ")}`, {
    type: INVALID_PAYLOAD,
    nonRetryable: true,
    details: { [side]: issues },
  });
}

function standardIssue(issue: StandardSchemaV1.Issue): Issue {
  return { path: pathText(issue.path ?? []), message: issue.message };
}

function pathText(path: ReadonlyArray<unknown>): string {
  return path
    .map((segment) =>
      typeof segment === "object" && segment !== null && "key" in segment
        ? String(segment.key)
        : String(segment),
    )
    .join(".");
}

/** The issues of what a parse() threw: its `issues` list when it has one (zod), else its message. */
function thrownIssues(error: unknown): Issue[] {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues.map((issue: { path?: unknown; message?: unknown }) => ({
      path: Array.isArray(issue.path) ? pathText(issue.path) : "",
      message: String(issue.message),
    }));
  }
  return [{ path: "", message: error instanceof Error ? error.message : String(error) }];
}
