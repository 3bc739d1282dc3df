package dev.legato.worker.internal.protocol;

import java.util.regex.Pattern;

/** Topic and consumer-group names: the one place they are spelled (see docs/protocol.md). */
public final class Topics {
  private static final Pattern ACTION = Pattern.compile("^[A-Za-z][A-Za-z0-9_-]{0,99}$");
  private static final String RESERVED = "DLT";

  private Topics() {}

  public static boolean validAction(String action) {
    return action != null && ACTION.matcher(action).matches() && !RESERVED.equals(action);
  }

  public static String jobTopic(String prefix, String action) {
    return prefix + "." + action;
  }

  public static String jobsDltTopic(String prefix) {
    return prefix + "." + RESERVED;
  }

  public static String workerGroup(String groupPrefix, String action) {
    return groupPrefix + "." + action;
  }
}
