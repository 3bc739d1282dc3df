package dev.legato.worker;

/**
 * A handler whose input is converted by Jackson to {@code I} (a record, a class, a {@code
 * List<...>}) before it runs, and whose return value is converted to JSON after; see {@link
 * Worker#register(String, Class, TypedHandler)}.
 *
 * <pre>{@code
 * record Order(String id, double total) {}
 * record Receipt(String orderId, boolean charged) {}
 * worker.register("charge", Order.class, (order, job) -> new Receipt(order.id(), true));
 * }</pre>
 *
 * @param <I> the input type
 * @param <O> the output type (anything Jackson serialises)
 */
@FunctionalInterface
public interface TypedHandler<I, O> {
  O handle(I input, JobContext context) throws Exception;
}
