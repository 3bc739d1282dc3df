"""One rule set: the orchestrator (legato.env_forms) and the Python SDK (legato_protocol.env) read
any value of a shared LEGATO_* variable alike: the same value, or the same error line."""

from typing import Annotated, Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError, create_model

from legato import env_forms
from legato_protocol.env import Env
from legato_worker import WorkerSettings

pytestmark = pytest.mark.unit

DEFAULT = "(default)"
# Digits, signs, dots, letters, whitespace and a few look-alikes: where the two could disagree.
values = st.text(alphabet=st.sampled_from(list("0123456789+-._eExX aAbI\t\n\u00a0\uff11\u0664")), max_size=8)


def _orchestrator(validator: Any, name: str, raw: str, default: object = DEFAULT) -> object:
    one = create_model("One", value=(Annotated[Any, validator], default))
    try:
        return one(value=raw).value  # type: ignore[attr-defined]
    except ValidationError as exc:
        return env_forms.describe(exc)[0].replace("value", name, 1)


def _sdk(read: Any) -> object:
    try:
        return read()
    except ValueError as exc:
        return str(exc)


@given(values, st.sampled_from([None, 0, 1]))
@example("1_000", None)
@example("\u0664\u0662", None)  # Arabic-Indic digits: str.isdigit() says yes, the rule says no
def test_integers(raw: str, minimum: int | None) -> None:
    mine = _orchestrator(env_forms.Integer(minimum), "LEGATO_JOB_PARTITIONS", raw)
    theirs = _sdk(
        lambda: Env({"LEGATO_JOB_PARTITIONS": raw}).integer("LEGATO_JOB_PARTITIONS", DEFAULT, minimum=minimum)
    )  # type: ignore[arg-type]
    assert mine == theirs


@given(values)
def test_text(raw: str) -> None:
    mine = _orchestrator(env_forms.Text, "LEGATO_JOBS_TOPIC", raw)
    assert mine == Env({"LEGATO_JOBS_TOPIC": raw}).text("LEGATO_JOBS_TOPIC", DEFAULT)


@given(st.text(alphabet=st.sampled_from(list("debuginfowarnrINFOWARNERROR \t")), max_size=9))
@example("warn")
@example("Critical")
def test_log_levels(raw: str) -> None:
    mine = _orchestrator(env_forms.LogLevel, "LEGATO_LOG_LEVEL", raw, "INFO")
    assert mine == _sdk(lambda: WorkerSettings.from_env({"LEGATO_LOG_LEVEL": raw}).log_level)
