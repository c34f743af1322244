#!/usr/bin/env bash
# Start HeyGem: installs what is missing (first run only), reports the GPU, opens the web UI on
# http://localhost:7860. Arguments go to `heygem serve` (e.g. --host 0.0.0.0 --port 8080).
set -euo pipefail
cd "$(dirname "$0")"
# Burned-in subtitles draw Chinese and Latin text with one of these fonts (first run, as root only).
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] \
        && ! ls /usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fonts-wqy-microhei >/dev/null \
        || echo "could not install fonts-noto-cjk/fonts-wqy-microhei: burned-in subtitles need one of them"
fi
source scripts/install.sh
ensure_venv
export GRADIO_ANALYTICS_ENABLED=False
"$VENV/bin/heygem" device
if "$VENV/bin/heygem" serve --help >/dev/null 2>&1; then
    exec "$VENV/bin/heygem" serve "$@"
fi
# No web UI in this build: check the install end to end instead and show how to use the CLI.
"$VENV/bin/heygem" selftest
