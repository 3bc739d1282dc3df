"""The JSON files of `legato schedules create|apply -f` and `legato triggers create -f`: a file that is
not a JSON object, or holds a number a float would change, is a usage error (exit 2) before any
request (the API given is one nothing listens on)."""

from pathlib import Path

import pytest
from cli_runner import run_cli

pytestmark = pytest.mark.unit

NOWHERE = "http://127.0.0.1:1"


def test_a_file_that_is_not_a_json_object_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("id: nightly\nevery: 1h\n")  # YAML, not JSON
    for group in ("schedules", "triggers"):
        result = run_cli("--api", NOWHERE, group, "create", "-f", str(bad))
        assert result.code == 2
        assert result.stderr.startswith(f"legato: error: --file {bad}: not valid JSON (")
        assert len(result.stderr.strip().splitlines()) == 1
    array = run_cli("--api", NOWHERE, "schedules", "apply", "-f", "-", stdin=b"[1]")
    assert (array.code, array.stderr.strip()) == (
        2,
        "legato: error: --file stdin: give a JSON object ({...}), not an array",
    )
    no_id = run_cli("--api", NOWHERE, "schedules", "apply", "-f", "-", stdin=b'{"every": "1h"}')
    assert no_id.code == 2
    assert 'give the schedule\'s "id"' in no_id.stderr
    rounded = tmp_path / "rounded.json"
    rounded.write_text('{"id": "s", "input": {"amount": 0.1000000000000000000001}}')
    changed = run_cli("--api", NOWHERE, "schedules", "create", "-f", str(rounded))
    assert changed.code == 2
    assert f"--file {rounded}: input.amount: number" in changed.stderr
    missing = run_cli("--api", NOWHERE, "triggers", "create", "-f", str(tmp_path / "none"))
    assert missing.code == 2
    assert "cannot read the file" in missing.stderr
    late = run_cli("--api", NOWHERE, "schedules", "backfill", "s", "--start", "yesterday", "--end", "1h")
    assert late.code == 2
    assert "--start 'yesterday'" in late.stderr
