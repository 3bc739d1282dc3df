package dev.legato.client;

/** {@link Client#result} gave up: the run had not ended when its timeout elapsed. */
public class AwaitTimeout extends LegatoException {
  private static final long serialVersionUID = 1L;

  public AwaitTimeout(String message) {
    super(message);
  }
}
