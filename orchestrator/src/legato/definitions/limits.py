"""Limits and name rules of definitions, shared by the parser and the JSON Schema."""

import re

MAX_STEPS = 500
MAX_ERROR_NAMES = 100
MAX_ERROR_NAME = 200
MAX_TEMPLATE_BYTES = 64 * 1024
MAX_PARALLEL = 1000
DEFAULT_MAX_PARALLEL = 100
MAX_MAP_ITEMS = 10_000
MAX_WAIT_S = 366 * 24 * 3600.0
MAX_UNTIL_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z
DEFAULT_TIMEOUT_S = 300.0
MAX_TIMEOUT_S = 7 * 24 * 3600.0
RESERVED_IDS = frozenset({"run", "runs", "schema"})
WORKFLOW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
STEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SIGNAL_NAME = STEP_ID  # the same rule: it is a path segment of the signal API
MAX_CHILD_DEPTH = 16  # a child of a child ... at most this deep: a workflow that starts itself stops
ACTION = r"^[A-Za-z][A-Za-z0-9_-]{0,99}$"
MAX_CONCURRENCY_LIMIT = 10_000
MAX_BACKLOG = 1_000_000_000
DEFAULT_PRIORITY = 3  # priorities run from 1 (highest) to 5
ON_LIMIT = ("queue", "cancelNewest", "cancelOldest")
