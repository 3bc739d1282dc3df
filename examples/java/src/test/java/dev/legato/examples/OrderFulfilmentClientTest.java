package dev.legato.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.legato.workflow.CanonicalJson;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The builder makes exactly the example definition (examples/workflows), and the sample order. */
class OrderFulfilmentClientTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void theBuilderMakesTheExampleDefinition() throws Exception {
    Object file = json.readTree(Path.of("../workflows/order-fulfilment-dag.json").toFile());
    assertEquals(CanonicalJson.write(file), OrderFulfilmentClient.definition().toCanonicalJson());
  }

  @Test
  void theSampleOrderIsTheExampleTriggerInput() throws Exception {
    Object input =
        json.readTree(Path.of("../workflows/order-fulfilment-dag.trigger.json").toFile())
            .get("input");
    assertEquals(
        CanonicalJson.write(input), CanonicalJson.write(OrderFulfilmentClient.sampleOrder()));
  }
}
