"""The one error a definition can have: which field (`loc`) and what is wrong with it."""

Loc = tuple[str | int, ...]


class DefinitionError(ValueError):
    """A definition is invalid; `loc` is the path of the offending field in the body."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
