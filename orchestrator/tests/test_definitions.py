"""Definition parsing: the seed format, defaults, and errors that name their field."""

import pytest

from legato.definitions import DefinitionError, RetryPolicy, parse_definition

pytestmark = pytest.mark.unit


def test_seed_format_orders_by_step_index_and_chains() -> None:
    d = parse_definition(
        {"id": "w", "steps": [{"action": "b", "stepIndex": 1}, {"action": "a", "stepIndex": 0}]}
    )
    assert [s.id for s in d.steps] == ["a", "b"]
    assert d.by_id["b"].depends_on == ("a",)
    assert d.roots == ("a",)
    assert d.sinks == ("b",)
    assert d.dependants["a"] == ("b",)


def test_repeated_action_gets_indexed_ids() -> None:
    d = parse_definition(
        {"id": "w", "steps": [{"action": "a", "stepIndex": 0}, {"action": "a", "stepIndex": 1}]}
    )
    assert [s.id for s in d.steps] == ["a-0", "a-1"]


def test_defaults_follow_the_contract() -> None:
    step = parse_definition({"id": "w", "steps": [{"action": "a", "stepIndex": 0}]}).steps[0]
    assert step.retry.max_attempts == 4  # first attempt + 3 retries
    assert step.retry.initial_delay_ms == 1000
    assert step.retry.delay_ms(1) == step.retry.delay_ms(3) == 1000  # 1 s apart
    assert step.timeout_ms == 300_000


def test_retry_fields_are_read() -> None:
    step = parse_definition(
        {
            "id": "w",
            "steps": [
                {
                    "action": "a",
                    "stepIndex": 0,
                    "timeoutSeconds": 2.5,
                    "retry": {
                        "maxAttempts": 6,
                        "initialDelayMs": 100,
                        "backoffCoefficient": 2,
                        "maxDelayMs": 500,
                        "nonRetryableErrors": ["CardDeclined"],
                    },
                }
            ],
        }
    ).steps[0]
    assert step.timeout_ms == 2500
    assert [step.retry.delay_ms(n) for n in range(1, 6)] == [100, 200, 400, 500, 500]
    assert not step.retry.allows_retry(1, "CardDeclined", False)
    assert not step.retry.allows_retry(1, "Other", True)
    assert step.retry.allows_retry(5, "Other", False)
    assert not step.retry.allows_retry(6, "Other", False)


def test_jitter_stays_within_its_fraction() -> None:
    policy = RetryPolicy(initial_delay_ms=1000, jitter=0.2)
    delays = {policy.delay_ms(1) for _ in range(200)}
    assert all(800 <= d <= 1200 for d in delays)
    assert len(delays) > 1


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (
            {"id": "w", "steps": [{"action": "a", "stepIndex": 0}, {"action": "b", "stepIndex": 0}]},
            ("steps", 1, "stepIndex"),
        ),
        ({"id": "w", "steps": [{"action": "a", "stepIndex": 0, "dependsOn": []}]}, ("steps", 0, "dependsOn")),
        (
            {"id": "w", "steps": [{"action": "a", "stepIndex": 0, "retry": {"maxDelayMs": 1}}]},
            ("steps", 0, "retry", "maxDelayMs"),
        ),
        (
            {"id": "w", "steps": [{"action": "a", "stepIndex": 0, "retry": {"nonRetryableErrors": "x"}}]},
            ("steps", 0, "retry", "nonRetryableErrors"),
        ),
        (
            {"id": "w", "steps": [{"action": "a", "stepIndex": 0, "retry": {"bogus": 1}}]},
            ("steps", 0, "retry", "bogus"),
        ),
        ({"id": "w", "steps": [{"action": "a", "stepIndex": True}]}, ("steps", 0, "stepIndex")),
        ({"id": "w", "steps": ["a"]}, ("steps", 0)),
        ({"id": "w", "steps": [{"action": "a", "stepIndex": 0}], "extra": 1}, ("extra",)),
        ({"id": "w w", "steps": [{"action": "a", "stepIndex": 0}]}, ("id",)),
    ],
)
def test_errors_name_the_field(body: object, loc: tuple[object, ...]) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_definition(body)
    assert info.value.loc == loc
