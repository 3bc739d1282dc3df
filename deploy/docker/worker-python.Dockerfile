# syntax=docker/dockerfile:1
# Legato Python example worker. Build context: the repository root.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
RUN pip install ./protocol-python './worker-sdk-python[metrics,tracing]'

RUN useradd --system --uid 10001 --no-create-home legato
USER legato

# SIGTERM drains in-flight jobs (LEGATO_SHUTDOWN_TIMEOUT_MS): give compose time to wait for it.
STOPSIGNAL SIGTERM
CMD ["python", "examples/python/worker.py"]
