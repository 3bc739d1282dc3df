/**
 * The client conformance driver (spec: one JSON command per stdin line, one JSON answer per
 * stdout line, logs on stderr, exit 0 at EOF). Config from LEGATO_API_URL and LEGATO_API_KEY.
 * Run through ./run-client after `npm run build`.
 */

import { createInterface } from "node:readline";
import { ApiError, Client, type RunStatus, Workflow, ref } from "legato-worker";

type Command = Record<string, unknown>;

const client = new Client();

class InvalidCommand extends Error {
  override name = "InvalidCommand";
}

function text(command: Command, field: string): string {
  const value = command[field];
  if (typeof value !== "string") throw new InvalidCommand(`"${field}" must be a string`);
  return value;
}

function optionalNumber(command: Command, field: string): number | undefined {
  const value = command[field];
  return typeof value === "number" ? value : undefined;
}

function optionalText(command: Command, field: string): string | undefined {
  const value = command[field];
  return typeof value === "string" ? value : undefined;
}

async function perform(command: Command): Promise<unknown> {
  const op = command["op"];
  switch (op) {
    case "define":
      return client.define(command["definition"] as Record<string, unknown>);
    case "defineBuilt": {
      const action = text(command, "action");
      const workflow = new Workflow(text(command, "id"))
        .step("first", { action })
        .step("second", { action, dependsOn: ["first"], input: ref("steps.first.output") });
      return client.define(workflow);
    }
    case "trigger": {
      const run = await client.trigger(text(command, "workflowId"), command["input"] ?? null, {
        idempotencyKey: optionalText(command, "idempotencyKey"),
        priority: optionalNumber(command, "priority"),
      });
      return { runId: run.runId };
    }
    case "get": {
      const { runId, workflowId, status, output, error } = await client.get(text(command, "runId"));
      return { runId, workflowId, status, output, error };
    }
    case "result": {
      const timeoutSeconds = optionalNumber(command, "timeoutSeconds");
      return { output: await client.result(text(command, "runId"), { timeoutSeconds }) };
    }
    case "events": {
      const types: string[] = [];
      const after = optionalNumber(command, "after");
      for await (const event of client.events(text(command, "runId"), { after })) {
        types.push(event.type);
      }
      return { types };
    }
    case "signal":
      return client.signal(text(command, "runId"), text(command, "name"), command["payload"], {
        signalId: optionalText(command, "signalId"),
      });
    case "cancel":
    case "retry":
    case "pause":
    case "resume":
      return client[op](text(command, "runId"));
    case "list": {
      const runIds: string[] = [];
      const runs = client.listRuns({
        workflowId: optionalText(command, "workflowId"),
        status: optionalText(command, "status") as RunStatus | undefined,
        limit: optionalNumber(command, "limit"),
      });
      for await (const run of runs) runIds.push(run.runId);
      return { runIds };
    }
    default:
      throw new InvalidCommand(`unknown op ${JSON.stringify(op)}`);
  }
}

function failure(error: unknown): unknown {
  const known = error instanceof Error;
  return {
    error: {
      type: known ? error.name : "Error",
      status: error instanceof ApiError ? error.status : null,
      message: known ? error.message : String(error),
    },
  };
}

async function answer(line: string): Promise<unknown> {
  try {
    const command = JSON.parse(line) as unknown;
    if (typeof command !== "object" || command === null || Array.isArray(command)) {
      throw new InvalidCommand("a command is a JSON object");
    }
    return { ok: (await perform(command as Command)) ?? null };
  } catch (error) {
    if (error instanceof SyntaxError) return failure(new InvalidCommand(error.message));
    process.stderr.write(`client driver: ${line.slice(0, 200)}: ${String(error)}\n`);
    return failure(error);
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === "") continue;
  process.stdout.write(`${JSON.stringify(await answer(line))}\n`);
}
