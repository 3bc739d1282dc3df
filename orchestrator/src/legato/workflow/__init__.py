"""The workflow state machine: where a result advances a run.

What each attempt's outcome, deadline or timer does to its run (transitions, starts, settle), what a
worker may report (admit, progress), dead-letter decisions, and re-opening a run (resume), all
written in the caller's transaction. No Kafka consumer, no threads, no metrics: the engine (the
process) drives it, and so do the API's operations (runs/, dlt/).
"""
