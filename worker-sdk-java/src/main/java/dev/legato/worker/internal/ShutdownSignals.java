package dev.legato.worker.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM/SIGINT: stop every running worker (each drains its in-flight jobs), then exit with status
 * 0. A second signal exits at once. A JVM shutdown hook does the same drain for any other shutdown
 * (System.exit, SIGHUP), where the JVM chooses the exit status.
 */
public final class ShutdownSignals {
  private static final Logger log = LoggerFactory.getLogger(ShutdownSignals.class);
  private static final Set<Runnable> STOPS = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean SIGNALLED = new AtomicBoolean();
  private static boolean installed;

  private ShutdownSignals() {}

  /** Runs {@code stop} on shutdown until the returned handle is closed. */
  public static Registration register(Runnable stop) {
    install();
    STOPS.add(stop);
    return () -> STOPS.remove(stop);
  }

  /** Undoes a {@link #register}. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    Runtime.getRuntime().addShutdownHook(new Thread(ShutdownSignals::stopAll, "legato-shutdown"));
    for (String name : List.of("TERM", "INT")) {
      try {
        Signal.handle(new Signal(name), ShutdownSignals::onSignal);
      } catch (IllegalArgumentException e) {
        log.debug("cannot handle SIG{} ({}); the shutdown hook still drains", name, e.getMessage());
      }
    }
  }

  private static void onSignal(Signal signal) {
    if (!SIGNALLED.compareAndSet(false, true)) {
      log.warn("second SIG{}: exiting without waiting for in-flight jobs", signal.getName());
      Runtime.getRuntime().halt(128 + signal.getNumber());
    }
    log.info("SIG{} received: draining in-flight jobs, then exiting", signal.getName());
    Thread exit =
        new Thread(
            () -> {
              stopAll();
              System.exit(0);
            },
            "legato-signal");
    exit.start();
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
