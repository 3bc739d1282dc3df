/**
 * The order-fulfilment DAG (examples/workflows/order-fulfilment-dag.json) built with the
 * workflow builder; its actions are the Python example's dag_worker (`make python`).
 */

import { Workflow, ref, stepRef } from "legato-worker";

export const ORDER_FULFILMENT = "order-fulfilment-dag";

export function orderFulfilment(): Workflow {
  const retry = { maxAttempts: 3, initialDelayMs: 200 };
  return new Workflow(ORDER_FULFILMENT)
    .step("check", { action: "check-order" })
    .step("reserve", {
      action: "reserve-item",
      dependsOn: ["check"],
      forEach: "steps.check.output.items",
      maxParallel: 4,
      input: {
        orderId: stepRef("check", "output.orderId"),
        line: ref("index"),
        sku: ref("item.sku"),
        qty: ref("item.qty"),
      },
      retry,
    })
    .step("payment", {
      action: "take-payment",
      dependsOn: ["check"],
      input: {
        orderId: stepRef("check", "output.orderId"),
        amount: stepRef("check", "output.total"),
        card: ref("input.card"),
      },
      retry: { ...retry, nonRetryableErrors: ["CardDeclined"] },
    })
    .step("fraud-review", {
      action: "review-fraud",
      dependsOn: ["check"],
      when: "steps.check.output.total > `500`",
      input: {
        orderId: ref("input.orderId"),
        total: stepRef("check", "output.total"),
      },
    })
    .wait("settle", { seconds: 2, dependsOn: ["payment", "fraud-review"] })
    .step("ship", {
      action: "ship-parcel",
      dependsOn: ["reserve", "settle"],
      input: {
        orderId: ref("input.orderId"),
        reservations: stepRef("reserve"),
        payment: stepRef("payment", "output.id"),
        express: ref("input.express || `false`"),
      },
    })
    .step("notify", {
      action: "email-customer",
      dependsOn: ["ship"],
      input: {
        to: ref("input.email"),
        customer: ref("input.customer"),
        tracking: stepRef("ship", "output.trackingNumber"),
      },
    });
}
