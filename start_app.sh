#!/usr/bin/env bash
# Start HeyGem: installs what is missing (first run only), reports the GPU, opens the web UI on
# http://localhost:7860. Arguments go to `heygem serve` (e.g. --host 0.0.0.0 --port 8080).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install.sh
ensure_venv
export GRADIO_ANALYTICS_ENABLED=False
"$VENV/bin/heygem" device
if "$VENV/bin/heygem" serve --help >/dev/null 2>&1; then
    exec "$VENV/bin/heygem" serve "$@"
fi
# No web UI in this build: check the install end to end instead and show how to use the CLI.
"$VENV/bin/heygem" selftest
