"""What a rejected value says: where it is wrong and why."""


class InvalidValue(ValueError):
    """A JSON value that cannot cross the boundary; `path` names the field (e.g. `input.items[3]`)."""

    error_type = "InvalidValue"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class PayloadTooLarge(InvalidValue):
    error_type = "PayloadTooLarge"
