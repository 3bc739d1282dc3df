"""Regenerate the golden vectors in testdata/ from the datum.json files (run by hand, never by tests).

Each case folder holds datum.json ({"schema": "v1/Job", "datum": {...}}) and encoded.bin, the
Avro single-object encoding of the datum. Every SDK's tests decode encoded.bin, compare with the
datum, and re-encode it byte for byte. A case written with an older schema of a record that has a
newer version also holds resolved.json: the datum as a reader of the newest version sees it (Avro
schema resolution; fields the writer lacked take their defaults). fingerprints.txt lists each
schema's CRC-64-AVRO fingerprint as the 8 bytes that follow C3 01 in a message.
"""

import io
import json
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

HERE = Path(__file__).parent


def load(version_and_name: str) -> Any:
    return fastavro.parse_schema(json.loads((HERE / f"{version_and_name}.avsc").read_text()))


def newest(name: str) -> str | None:
    versions = sorted(HERE.glob(f"v*/{name}.avsc"), key=lambda p: int(p.parent.name[1:]))
    return f"{versions[-1].parent.name}/{name}" if versions else None


def main() -> None:
    lines = []
    for path in sorted(HERE.glob("v*/*.avsc")):
        ref = f"{path.parent.name}/{path.stem}"
        fp = fingerprint(to_parsing_canonical_form(load(ref)), "CRC-64-AVRO")
        lines.append(f"{ref} {fp}")
    (HERE / "fingerprints.txt").write_text("\n".join(lines) + "\n")
    for case in sorted((HERE / "testdata").iterdir()):
        spec = json.loads((case / "datum.json").read_text())
        schema = load(spec["schema"])
        header = bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))
        body = io.BytesIO()
        fastavro.schemaless_writer(body, schema, spec["datum"])
        encoded = body.getvalue()
        (case / "encoded.bin").write_bytes(b"\xc3\x01" + header + encoded)
        reader_ref = newest(spec["schema"].split("/")[1])
        if reader_ref and reader_ref != spec["schema"]:
            resolved = fastavro.schemaless_reader(io.BytesIO(encoded), schema, load(reader_ref))
            text = json.dumps({"schema": reader_ref, "datum": resolved}, ensure_ascii=False)
            (case / "resolved.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
