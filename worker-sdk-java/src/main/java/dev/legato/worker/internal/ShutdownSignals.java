package dev.legato.worker.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM/SIGINT while workers run: stop every registered worker (each drains its in-flight jobs),
 * so their {@code start()} returns and the application's {@code main} ends, and the JVM exits 0.
 * The library never exits the JVM itself. A second signal during the drain gets the operating
 * system's default action (the process ends at once). A JVM shutdown hook runs the same drain for
 * any other shutdown (System.exit, SIGHUP). The handlers are installed while at least one worker is
 * registered; the previous handlers come back afterwards.
 */
public final class ShutdownSignals {
  private static final Logger log = LoggerFactory.getLogger(ShutdownSignals.class);
  private static final List<String> SIGNALS = List.of("TERM", "INT");
  private static final Set<Runnable> STOPS = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean SIGNALLED = new AtomicBoolean();
  private static final Map<String, SignalHandler> PREVIOUS = new HashMap<>();
  private static boolean hookAdded;
  private static int registered;

  private ShutdownSignals() {}

  /** Runs {@code stop} on SIGTERM/SIGINT or JVM shutdown until the returned handle is closed. */
  public static synchronized Registration register(Runnable stop) {
    if (!hookAdded) {
      hookAdded = true;
      Runtime.getRuntime().addShutdownHook(new Thread(ShutdownSignals::stopAll, "legato-shutdown"));
    }
    if (registered++ == 0) {
      SIGNALLED.set(false);
      for (String name : SIGNALS) {
        try {
          PREVIOUS.put(name, Signal.handle(new Signal(name), ShutdownSignals::onSignal));
        } catch (IllegalArgumentException e) {
          log.debug(
              "cannot handle SIG{} ({}); the shutdown hook still drains", name, e.getMessage());
        }
      }
    }
    STOPS.add(stop);
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        unregister(stop);
      }
    };
  }

  /** Undoes a {@link #register}. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  private static synchronized void unregister(Runnable stop) {
    STOPS.remove(stop);
    if (--registered == 0) {
      PREVIOUS.forEach((name, handler) -> Signal.handle(new Signal(name), handler));
      PREVIOUS.clear();
    }
  }

  private static void onSignal(Signal signal) {
    if (!SIGNALLED.compareAndSet(false, true)) {
      log.warn("second SIG{}: ending without waiting for in-flight jobs", signal.getName());
      Signal.handle(signal, SignalHandler.SIG_DFL);
      Signal.raise(signal);
      return;
    }
    log.info("SIG{} received: draining in-flight jobs, then stopping", signal.getName());
    new Thread(ShutdownSignals::stopAll, "legato-signal").start();
  }

  private static void stopAll() {
    List<Thread> threads = new ArrayList<>();
    for (Runnable stop : List.copyOf(STOPS)) {
      Thread thread = new Thread(stop, "legato-stop");
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
