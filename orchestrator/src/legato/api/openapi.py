"""Write the API's OpenAPI document to stdout, without a server or any service running:
`python -m legato.api.openapi > openapi.json` (what `make api-types` generates the dashboard's
types from)."""

import sys

import orjson

from legato.api.app import openapi_document


def main() -> None:
    sys.stdout.buffer.write(orjson.dumps(openapi_document(), option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
