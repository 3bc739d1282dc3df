import { describe, expect, it } from "vitest";
import {
  EMPTY_FILTER,
  filterFromSearch,
  filterToApiQuery,
  filterToSearch,
  isEmptyFilter,
  parseStatuses,
  withStatus,
} from "../src/lib/filters";

describe("run filters <-> query string", () => {
  it("round-trips every field", () => {
    const filter = {
      status: ["RUNNING", "FAILED"],
      workflowId: "orders",
      version: "3",
      createdAfter: "2026-01-05T10:00:00.000Z",
      createdBefore: "2026-01-06T10:00:00.000Z",
      runId: "0192f0c4-5b1e-7c3a-8f00-000000000001",
      idempotencyKey: "key 1&2",
      correlationId: "order-42",
      scheduleId: "nightly-report",
      triggerId: "orders-in",
      q: 'needle "quoted" =',
    };
    const search = filterToSearch(filter);
    expect(filterFromSearch(search)).toEqual(filter);
    expect(filterFromSearch(`?${search}`)).toEqual(filter);
  });

  it("writes only the fields set, in a stable order", () => {
    expect(filterToSearch({ ...EMPTY_FILTER, q: "x", status: ["FAILED"] })).toBe("status=FAILED&q=x");
    expect(filterToSearch(EMPTY_FILTER)).toBe("");
    expect(isEmptyFilter({ ...EMPTY_FILTER, workflowId: "  " })).toBe(true);
  });

  it("reads comma lists and repeated statuses, drops unknown ones, keeps the canonical order", () => {
    expect(parseStatuses(["failed,running", "FAILED", "bogus"])).toEqual(["RUNNING", "FAILED"]);
    expect(filterFromSearch("status=COMPLETED&status=pending").status).toEqual(["PENDING", "COMPLETED"]);
  });

  it("drops a version that is not a number", () => {
    expect(filterFromSearch("version=abc").version).toBe("");
  });

  it("gives the API a comma list in a query and a list in a bulk body; version as a number", () => {
    const f = { ...EMPTY_FILTER, status: ["FAILED", "CANCELLED"], version: "2", workflowId: "w" };
    expect(filterToApiQuery(f)).toEqual({ status: "FAILED,CANCELLED", version: 2, workflowId: "w" });
    expect(filterToApiQuery(f, true)).toEqual({
      status: ["FAILED", "CANCELLED"],
      version: 2,
      workflowId: "w",
    });
    expect(filterToApiQuery(EMPTY_FILTER)).toEqual({});
  });

  it("toggles a status", () => {
    const on = withStatus(EMPTY_FILTER, "FAILED", true);
    expect(on.status).toEqual(["FAILED"]);
    expect(withStatus(on, "FAILED", false).status).toEqual([]);
  });
});
