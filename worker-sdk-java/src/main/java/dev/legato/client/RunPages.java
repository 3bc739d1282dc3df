package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/** The run list across its keyset pages: the next page is fetched when the last one is read. */
final class RunPages implements Iterator<RunSummary> {
  private final Function<String, JsonNode> fetch;
  private final String filters;
  private final Integer limit;
  private final int pageSize;
  private final Deque<RunSummary> page = new ArrayDeque<>();
  private String cursor;
  private boolean last;
  private int given;

  RunPages(
      Function<String, JsonNode> fetch,
      String workflowId,
      String status,
      Integer limit,
      int pageSize) {
    this.fetch = fetch;
    StringBuilder query = new StringBuilder();
    if (workflowId != null) {
      query.append("&workflowId=").append(Http.encode(workflowId));
    }
    if (status != null) {
      query.append("&status=").append(Http.encode(status));
    }
    this.filters = query.toString();
    this.limit = limit;
    this.pageSize = pageSize;
  }

  @Override
  public boolean hasNext() {
    if (limit != null && given >= limit) {
      return false;
    }
    if (page.isEmpty() && !last) {
      fetchPage();
    }
    return !page.isEmpty();
  }

  @Override
  public RunSummary next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    given++;
    return page.removeFirst();
  }

  private void fetchPage() {
    int size = limit == null ? pageSize : Math.max(1, Math.min(pageSize, limit - given));
    String query =
        "limit=" + size + filters + (cursor == null ? "" : "&cursor=" + Http.encode(cursor));
    JsonNode answer = fetch.apply(query);
    answer.path("runs").forEach(run -> page.addLast(RunSummary.of(run)));
    JsonNode next = answer.path("nextCursor");
    cursor = next.isTextual() ? next.asText() : null;
    last = cursor == null || answer.path("runs").isEmpty();
  }
}
