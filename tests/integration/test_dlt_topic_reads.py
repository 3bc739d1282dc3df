"""GET /dead-letters/topics/{which} streams the topic: it stops at `limit` matching records (and
one more) or at its budget of records, and says how far it read and why it stopped."""

import httpx
import pytest
from confluent_kafka import Producer

from harness.api import unique
from harness.orchestrator import Orchestrator
from legato.api.dead_letter_topics import SCAN_RECORDS
from legato_protocol import headers
from legato_protocol.topics import jobs_dlt_topic

pytestmark = pytest.mark.integration


def _dead_letter_records(orch: Orchestrator, workflow_id: str, count: int) -> None:
    """`count` records in the orchestrator's jobs DLT naming `workflow_id` (not decodable jobs)."""
    producer = Producer({**orch.kafka_config(), "linger.ms": 20})
    topic = jobs_dlt_topic(orch.env["LEGATO_JOBS_TOPIC"])
    for n in range(count):
        producer.produce(
            topic,
            value=b"not a job %d" % n,
            headers=[(headers.WORKFLOW_ID, workflow_id.encode()), (headers.DLT_REASON, b"undecodable")],
        )
        if n % 1000 == 0:
            producer.poll(0)
    assert producer.flush(30) == 0


def test_a_dlt_topic_list_stops_at_its_limit_and_at_its_budget(
    fresh_orchestrator: Orchestrator, own_api: httpx.Client
) -> None:
    bounded, api = fresh_orchestrator, own_api
    few, many = unique("dlt-few"), unique("dlt-many")
    before = api.get("/dead-letters/topics/jobs", params={"workflowId": few}).json()
    assert before["records"] == [] and before["complete"] is True and before["more"] is False
    _dead_letter_records(bounded, few, 30)
    page = api.get("/dead-letters/topics/jobs", params={"workflowId": few, "limit": 5}).json()
    assert [r["workflowId"] for r in page["records"]] == [few] * 5
    assert page["more"] is True and page["complete"] is False and page["stoppedBy"] == "limit"
    assert page["scanned"] == before["scanned"] + 6  # up to `limit` matches and one more

    everything = api.get("/dead-letters/topics/jobs", params={"workflowId": few, "limit": 1000}).json()
    assert len(everything["records"]) == 30 and everything["complete"] is True
    assert everything["more"] is False and everything["stoppedBy"] is None

    _dead_letter_records(bounded, many, SCAN_RECORDS)
    absent = api.get("/dead-letters/topics/jobs", params={"workflowId": unique("none")}).json()
    assert absent["records"] == [] and absent["scanned"] == SCAN_RECORDS
    assert absent["complete"] is False and absent["stoppedBy"] == "records" and absent["more"] is True
