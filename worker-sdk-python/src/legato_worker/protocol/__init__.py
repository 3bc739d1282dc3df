"""Compatibility only: the wire protocol now lives in the `legato-protocol` package.

`legato_worker.protocol` (and its `topics` and `headers` modules) re-exports `legato_protocol`
unchanged, so code written against SDK 0.2 keeps importing. New code imports `legato_protocol`.
"""

from legato_protocol import *  # noqa: F403
from legato_protocol import __all__ as __all__
