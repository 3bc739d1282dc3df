/**
 * The Node example client: defines the order-fulfilment DAG with the builder, triggers a run,
 * awaits it through the run's event stream and prints its output. Config from LEGATO_API_URL
 * and LEGATO_API_KEY; needs a worker for the DAG's actions (`make python`).
 *
 *     node dist/client.js [timeoutSeconds]
 */

import { AwaitTimeout, Client, RunFailed } from "legato-worker";
import { ORDER_FULFILMENT, orderFulfilment } from "./order-fulfilment.js";

const order = {
  orderId: "ord-2001",
  customer: "Grace Hopper",
  email: "grace@example.com",
  items: [
    { sku: "BOOK-42", qty: 2, price: 12.5 },
    { sku: "PEN-7", qty: 3, price: 3.25 },
    { sku: "LAMP-3", qty: 1, price: 40 },
  ],
  total: 74.75,
  card: "4242424242424242",
  express: true,
};

const client = new Client();
const { version } = await client.define(orderFulfilment());
const run = await client.trigger(ORDER_FULFILMENT, order);
console.log(`run ${run.runId} of ${ORDER_FULFILMENT} v${version}`);
try {
  const output = await run.result({
    timeoutSeconds: Number(process.argv[2] ?? 60),
  });
  console.log(JSON.stringify(output, null, 2));
} catch (error) {
  if (error instanceof RunFailed)
    console.error(`failed: ${JSON.stringify(error.error)}`);
  else if (error instanceof AwaitTimeout) {
    console.error(
      `${error.message}: is a worker for its actions running? (make python)`,
    );
  } else throw error;
  process.exitCode = 1;
}
