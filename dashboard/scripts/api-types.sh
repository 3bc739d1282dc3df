#!/usr/bin/env bash
# The dashboard's API types, generated from the orchestrator's OpenAPI document (openapi-typescript,
# then prettier), never written by hand. No server is needed: the document comes from the app itself.
# A field with a default stays optional (--default-non-nullable false): the JSON may leave it out.
#   scripts/api-types.sh PYTHON           write src/api/openapi.ts
#   scripts/api-types.sh PYTHON --check   fail when src/api/openapi.ts is not what the API describes
# PYTHON: an interpreter with the orchestrator installed (make passes the checkout's .venv).
set -euo pipefail

python=${1:?usage: $0 PYTHON [--check]}
mode=${2:-}
dashboard=$(cd "$(dirname "$0")/.." && pwd)
target=src/api/openapi.ts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$python" -m legato.api.openapi > "$tmp/openapi.json"
cd "$dashboard"
npx --no-install openapi-typescript "$tmp/openapi.json" --output "$tmp/generated.ts" --default-non-nullable false >/dev/null
npx --no-install prettier --stdin-filepath "$target" < "$tmp/generated.ts" > "$tmp/openapi.ts"

if [ "$mode" = "--check" ]; then
  if ! diff -u "$target" "$tmp/openapi.ts" > "$tmp/diff"; then
    head -n 60 "$tmp/diff"
    echo "dashboard/$target is not what /openapi.json describes: run make api-types and commit it" >&2
    exit 1
  fi
else
  cp "$tmp/openapi.ts" "$target"
fi
