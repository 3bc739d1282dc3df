# syntax=docker/dockerfile:1
# Legato orchestrator (`legato serve`). Build context: the repository root
# (docker compose builds it; by hand: docker build -f deploy/docker/orchestrator.Dockerfile .).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The whole tree (minus orchestrator.Dockerfile.dockerignore): the packages may read schemas/ at build time.
COPY . .
RUN pip install ./protocol-python ./worker-sdk-python ./orchestrator

RUN useradd --system --uid 10001 --no-create-home legato
USER legato

ENV LEGATO_API_HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=12 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=2).status == 200 else 1)"
CMD ["legato", "serve"]
