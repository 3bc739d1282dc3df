"""What every answer model shares: no field it does not declare, and the JSON forms of its values.

The domain hands the API plain dicts; a route validates one into its answer model at the boundary,
so a field the model does not declare fails the request in the tests instead of leaving the
OpenAPI document (and the dashboard's generated types) behind. A field typed `X | MISSING` is left
out of the JSON when the domain left it out (it is never `null`); `X | None` is always there.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

# Timestamps reach the API as ISO 8601 text already (`datetime.isoformat()`, with its UTC offset),
# and stay exactly as written: pydantic's own datetime would write `Z` for `+00:00`.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Uuid = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
Json = Any  # any JSON value, as stored


def _untitled(schema: dict[str, Any]) -> None:
    """Field titles pydantic makes up from the names ("Runid") say nothing the names do not."""
    for field in schema.get("properties", {}).values():
        field.pop("title", None)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_untitled)
