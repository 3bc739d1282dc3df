"""Dead letters as the `dead_letters` table holds them: one row per dead job, keyed by its job id."""

import re
import uuid
from typing import Any

import psycopg

from legato.store import dlt_sql
from legato.store.dlt_sql import DeadLetterDetailRow
from legato.store.rows import fetch_one

# The id of a dead letter is the dead job's id (header legato-job-id); `<partition>-<offset>` names
# a record of the Kafka topic.
KAFKA_ID = re.compile(r"^(\d+)-(\d+)$")


def get_row(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> DeadLetterDetailRow | None:
    return fetch_one(conn, DeadLetterDetailRow, dlt_sql.GET, (job_id,))
