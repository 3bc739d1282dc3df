package dev.legato.client;

/** The awaited run ended CANCELLED. */
public class RunCancelled extends LegatoException {
  private static final long serialVersionUID = 1L;

  private final transient Run run;

  public RunCancelled(Run run) {
    super("run " + run.runId() + " was CANCELLED");
    this.run = run;
  }

  public Run run() {
    return run;
  }
}
