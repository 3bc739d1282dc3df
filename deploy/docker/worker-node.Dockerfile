# syntax=docker/dockerfile:1
# Legato Node example worker (TypeScript). Build context: the repository root.
FROM node:20-slim

ENV NODE_ENV=production \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false

WORKDIR /app
COPY . .

# Dev dependencies (typescript) are needed to build: install with --include=dev.
# `npm ci` when a lockfile is committed, else `npm install`.
RUN set -eux; \
    for dir in worker-sdk-node examples/node; do \
      cd "/app/$dir"; \
      if [ -f package-lock.json ]; then npm ci --include=dev; else npm install --include=dev; fi; \
      npm run build; \
    done

USER node
STOPSIGNAL SIGTERM
CMD ["node", "examples/node/dist/worker.js"]
