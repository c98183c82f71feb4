#!/usr/bin/env bash
# scripts/start.sh — set everything up (scripts/setup.sh) and start daxfleet in its default `all` role:
# the hub (REST API, OpenAPI at /docs, the web UI) plus a local agent scanning this machine's /sys, with SQLite
# in ./data. Listens on 127.0.0.1:7300 (DAXFLEET_PORT / DAXFLEET_HOST / DAXFLEET_DATA_DIR to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for start
exec node apps/api/dist/cli.js serve --role all \
  --host "${DAXFLEET_HOST:-127.0.0.1}" --port "${DAXFLEET_PORT:-7300}" --data-dir "${DAXFLEET_DATA_DIR:-data}"
