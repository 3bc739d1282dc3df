package dev.legato.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.legato.client.Client;
import dev.legato.client.LegatoException;
import dev.legato.client.RunHandle;
import dev.legato.workflow.Ref;
import dev.legato.workflow.Retry;
import dev.legato.workflow.Step;
import dev.legato.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The API client's example: defines the order-fulfilment DAG
 * (examples/workflows/order-fulfilment-dag.json) with the workflow builder, triggers it with the
 * sample order, awaits the run through its event stream and prints its output. Its steps run on the
 * Python example worker ({@code make python}); configured by {@code LEGATO_API_URL} and {@code
 * LEGATO_API_KEY}. Exits 1 when the run fails, is cancelled or does not end within 60 s.
 */
public final class OrderFulfilmentClient {
  private OrderFulfilmentClient() {}

  /** The DAG: check, then reserve each line (a map) / take the payment / review fraud; settle... */
  static Workflow definition() {
    return Workflow.create("order-fulfilment-dag")
        .step("check", Step.action("check-order"))
        .step(
            "reserve",
            Step.action("reserve-item")
                .dependsOn("check")
                .forEach("steps.check.output.items")
                .maxParallel(4)
                .input(
                    Map.of(
                        "orderId", Ref.step("check", "output.orderId"),
                        "line", Ref.of("index"),
                        "sku", Ref.of("item.sku"),
                        "qty", Ref.of("item.qty")))
                .retry(Retry.create().maxAttempts(3).initialDelayMs(200)))
        .step(
            "payment",
            Step.action("take-payment")
                .dependsOn("check")
                .input(
                    Map.of(
                        "orderId", Ref.step("check", "output.orderId"),
                        "amount", Ref.step("check", "output.total"),
                        "card", Ref.of("input.card")))
                .retry(
                    Retry.create()
                        .maxAttempts(3)
                        .initialDelayMs(200)
                        .nonRetryableErrors("CardDeclined")))
        .step(
            "fraud-review",
            Step.action("review-fraud")
                .dependsOn("check")
                .when("steps.check.output.total > `500`")
                .input(
                    Map.of(
                        "orderId", Ref.of("input.orderId"),
                        "total", Ref.step("check", "output.total"))))
        .step("settle", Step.waitSeconds(2).dependsOn("payment", "fraud-review"))
        .step(
            "ship",
            Step.action("ship-parcel")
                .dependsOn("reserve", "settle")
                .input(
                    Map.of(
                        "orderId", Ref.of("input.orderId"),
                        "reservations", Ref.step("reserve"),
                        "payment", Ref.step("payment", "output.id"),
                        "express", Ref.of("input.express || `false`"))))
        .step(
            "notify",
            Step.action("email-customer")
                .dependsOn("ship")
                .input(
                    Map.of(
                        "to", Ref.of("input.email"),
                        "customer", Ref.of("input.customer"),
                        "tracking", Ref.step("ship", "output.trackingNumber"))));
  }

  /** The sample order of examples/workflows/order-fulfilment-dag.trigger.json. */
  static Map<String, Object> sampleOrder() {
    return Map.of(
        "orderId", "ord-2001",
        "customer", "Grace Hopper",
        "email", "grace@example.com",
        "items",
            List.of(
                Map.of("sku", "BOOK-42", "qty", 2, "price", 12.5),
                Map.of("sku", "PEN-7", "qty", 3, "price", 3.25),
                Map.of("sku", "LAMP-3", "qty", 1, "price", 40)),
        "total", 74.75,
        "card", "4242424242424242",
        "express", true);
  }

  public static void main(String[] args) {
    Client client = Client.fromEnv();
    try {
      JsonNode defined = client.define(definition());
      System.out.println("defined order-fulfilment-dag v" + defined.path("version").asInt());
      RunHandle run = client.trigger("order-fulfilment-dag", sampleOrder());
      System.out.println("run " + run.runId() + " started; awaiting its end");
      JsonNode output = run.result(Duration.ofSeconds(60));
      System.out.println(output.toPrettyString());
    } catch (LegatoException e) {
      System.err.println(
          "order-fulfilment-dag: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      System.exit(1);
    }
  }
}
