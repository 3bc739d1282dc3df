/**
 * A scripted stand-in for the Legato API on 127.0.0.1:<free port>, for unit tests of the
 * client's HTTP logic: each request is recorded and answered by the next scripted responder.
 */

import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Responder = (response: ServerResponse, request: Recorded) => void;

export class ApiServer {
  readonly requests: Recorded[] = [];
  private readonly script: Responder[] = [];
  private server: Server | undefined;

  /** Answers the next requests, in order, with `responders`. */
  then(...responders: Responder[]): this {
    this.script.push(...responders);
    return this;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const recorded: Recorded = {
          method: request.method ?? "",
          url: request.url ?? "",
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(recorded);
        const respond = this.script.shift() ?? json(500, { detail: "nothing scripted" });
        respond(response, recorded);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Responder {
  return (response) => {
    response.writeHead(status, { "Content-Type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
}

/** Closes the connection without an answer (the client sees a network error). */
export const hangUp: Responder = (response) => {
  response.socket?.destroy();
};

export interface SseMessage {
  id?: number;
  event: string;
  data: unknown;
}

/**
 * An event stream that sends `messages` and then, unless `end` is set, drops (closes without
 * an end message) or, with `hold`, stays open.
 */
export function sse(messages: SseMessage[], options: { hold?: boolean } = {}): Responder {
  return (response) => {
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    response.write("retry: 1000\n\n");
    for (const { id, event, data } of messages) {
      const idLine = id === undefined ? "" : `id: ${id}\n`;
      response.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    }
    if (options.hold) response.write(": keepalive\n\n");
    else response.end();
  };
}

export function event(id: number, type: string): SseMessage {
  const data = {
    id,
    at: "2026-12-07T10:00:00+00:00",
    type,
    stepId: null,
    attempt: null,
    data: null,
  };
  return { id, event: type, data };
}

export function end(runId: string, status: string): SseMessage {
  return { event: "end", data: { runId, status } };
}
