package dev.legato.client;

/** The API could not be reached (after the retries a request allows); the message names the URL. */
public class ConnectionFailed extends LegatoException {
  private static final long serialVersionUID = 1L;

  public ConnectionFailed(String message, Throwable cause) {
    super(message, cause);
  }
}
