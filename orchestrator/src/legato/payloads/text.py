"""Free text from outside (error messages, stack traces, header values) made storable."""

_REPLACEMENT = "\ufffd"


def clean_text(value: object, max_chars: int) -> str:
    """A string PostgreSQL can store: NUL characters and lone surrogates replaced, at most
    `max_chars` characters (cut ones end in an ellipsis note)."""
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        text = text.replace("\x00", _REPLACEMENT)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) > max_chars:
        text = text[: max(max_chars - 15, 0)] + "...[truncated]"
    return text
