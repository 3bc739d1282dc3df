"""JSON schemas for kubeconform, made from what the package registries give (`make lint-helm`).

kubeconform fetches its schemas from GitHub unless given local ones; GitHub is out of reach here, so:

- `kubernetes WHEEL VERSION OUT`: the Kubernetes schemas of one release, taken from the
  `kubernetes-validate` wheel (PyPI), which bundles them per release as
  `kubernetes_validate/kubernetes-json-schema/v<VERSION>-local-strict/<kind>-<group>-<version>.json`
  (objects closed with `additionalProperties: false`) and one shared `_definitions.json`. Their
  references point at `/api/_definitions.json` under a `$id` of kubernetes.io; they are rewritten to
  the `_definitions.json` beside them (and the `$id`s dropped), so that kubeconform resolves them on
  disk. Written to OUT/v<VERSION>-strict/, named as kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}`.
- `crds DIR OUT`: the schemas of the CustomResourceDefinitions in DIR's *.yaml files (the
  prometheus-operator Go module's example/prometheus-operator-crd/), one per kind and version,
  written to OUT/<group>/<kind>_<version>.json (kubeconform's
  `{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}`).
  As kubeconform's -strict does for Kubernetes kinds, every object schema that lists its properties
  and says nothing of others is closed (`additionalProperties: false`); Kubernetes' OpenAPI
  extensions become JSON Schema (int-or-string, nullable, preserve-unknown-fields).
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

WHEEL_ROOT = "kubernetes_validate/kubernetes-json-schema"


class _CrdLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading a bare `=` (an enum value of the CRDs) as the string it is to
    Kubernetes, not YAML 1.1's `value` tag."""


_CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
DEFINITIONS = "/api/_definitions.json"


def _relocate(node: Any) -> Any:
    """`node` with its `$ref`s to /api/_definitions.json made relative and its `$id`s dropped."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$id" and isinstance(value, str):
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith(DEFINITIONS):
                out[key] = "_definitions.json" + value[len(DEFINITIONS) :]
            else:
                out[key] = _relocate(value)
        return out
    if isinstance(node, list):
        return [_relocate(item) for item in node]
    return node


def kubernetes(wheel: Path, version: str, out: Path) -> int:
    prefix = f"{WHEEL_ROOT}/v{version}-local-strict/"
    target = out / f"v{version}-strict"
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if not member.startswith(prefix) or not member.endswith(".json"):
                continue
            name = PurePosixPath(member).name
            schema = _relocate(json.loads(archive.read(member)))
            (target / name).write_text(json.dumps(schema, separators=(",", ":")), encoding="utf-8")
            written += 1
    if written == 0 or not (target / "_definitions.json").is_file():
        inside = [m[len(WHEEL_ROOT) + 1 :] for m in _names(wheel) if m.startswith(WHEEL_ROOT + "/")]
        found = {m.split("/")[0] for m in inside}
        print(
            f"{wheel.name} has no schemas for Kubernetes {version}; it has: {', '.join(sorted(found))}",
            file=sys.stderr,
        )
        return 1
    print(f"Kubernetes {version}: {written} schemas in {target}")
    return 0


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _json_schema(node: Any) -> Any:
    """A CRD's OpenAPI v3 schema as JSON Schema (draft 4, kubeconform's default), objects closed.

    Walks the schema keywords only (a property may be called `properties` or `nullable`)."""
    if not isinstance(node, dict):
        return node
    out = dict(node)
    if "properties" in out:
        out["properties"] = {name: _json_schema(sub) for name, sub in out["properties"].items()}
    for keyword in ("items", "additionalProperties", "not"):
        if isinstance(out.get(keyword), dict):
            out[keyword] = _json_schema(out[keyword])
    for keyword in ("allOf", "anyOf", "oneOf"):
        if isinstance(out.get(keyword), list):
            out[keyword] = [_json_schema(sub) for sub in out[keyword]]
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out.pop("anyOf", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    open_ended = out.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not open_ended:
        out["additionalProperties"] = False
    return out


def crds(directory: Path, out: Path) -> int:
    written = 0
    for path in sorted(directory.glob("*.yaml")):
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_CrdLoader):
            if not isinstance(document, dict) or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            kind = spec["names"]["kind"].lower()
            for version in spec["versions"]:
                schema = version.get("schema", {}).get("openAPIV3Schema")
                if schema is None:
                    continue
                target = out / spec["group"] / f"{kind}_{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(_json_schema(schema), indent=1), encoding="utf-8")
                written += 1
    if written == 0:
        print(f"no CustomResourceDefinition with a schema in {directory}/*.yaml", file=sys.stderr)
        return 1
    print(f"{written} custom resource schemas in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    k8s = commands.add_parser("kubernetes", help="Kubernetes schemas from the kubernetes-validate wheel")
    k8s.add_argument("wheel", type=Path)
    k8s.add_argument("version", help="a Kubernetes release, e.g. 1.31.0")
    k8s.add_argument("out", type=Path)
    crd = commands.add_parser("crds", help="schemas of the CustomResourceDefinitions in a folder")
    crd.add_argument("directory", type=Path)
    crd.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "kubernetes":
        return kubernetes(args.wheel, args.version, args.out)
    return crds(args.directory, args.out)


if __name__ == "__main__":
    sys.exit(main())
