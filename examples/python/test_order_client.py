"""The builder in order_client.py makes exactly examples/workflows/order-fulfilment-dag.json."""

import json
from pathlib import Path

import pytest
from order_client import order_fulfilment

pytestmark = pytest.mark.unit


def test_the_builder_makes_the_example_definition() -> None:
    path = Path(__file__).parent.parent / "workflows" / "order-fulfilment-dag.json"
    assert order_fulfilment().to_dict() == json.loads(path.read_text())
