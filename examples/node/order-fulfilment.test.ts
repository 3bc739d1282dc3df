import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { orderFulfilment } from "./order-fulfilment.js";

it("builds exactly examples/workflows/order-fulfilment-dag.json", () => {
  const file = new URL(
    "../../workflows/order-fulfilment-dag.json",
    import.meta.url,
  );
  assert.deepEqual(
    orderFulfilment().toJSON(),
    JSON.parse(readFileSync(file, "utf8")),
  );
});
