package dev.legato.client;

/** The root of the client's exceptions (unchecked). */
public class LegatoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LegatoException(String message) {
    super(message);
  }

  public LegatoException(String message, Throwable cause) {
    super(message, cause);
  }
}
