"""The engine, the process around the state machine (workflow/): the consume loop, result
batches, housekeeping (deadlines, timers, outboxes), offsets, samplers and retention."""
