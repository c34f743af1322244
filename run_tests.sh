#!/usr/bin/env bash
# Run the test suite (creates .venv and installs the project when needed).
# Extra arguments go to pytest, e.g. `bash run_tests.sh tests/media -x`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install.sh
ensure_venv test
export GRADIO_ANALYTICS_ENABLED=False
exec "$VENV/bin/python" -m pytest "$@"
