# Sourced by start_app.sh and run_tests.sh: make .venv and install the project into it.
# Re-running is fast: nothing is installed when the project files did not change.
# Usage: ensure_venv [extra]   (extra: "test" also installs the test tools)

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
MEDIAPIPE_VERSION=0.10.21 # the last release whose wheel ships the face-mesh models

ensure_venv() {
    local extra=${1:-}
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "HeyGem needs Python 3.10 or newer ($PYTHON is $("$PYTHON" --version 2>&1))." >&2
        return 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "Creating virtual environment in $VENV"
        "$PYTHON" -m venv "$VENV" || return 1
    fi
    local stamp="$VENV/.heygem-installed-${extra:-app}"
    local want
    want=$(cat pyproject.toml scripts/install.sh | sha256sum | cut -c1-16)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
    if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
        # PyPI's default torch: a CUDA build on Linux x86-64 (runs on the CPU too).
        echo "Installing PyTorch (large download the first time)"
        "${pip[@]}" torch || return 1
    fi
    echo "Installing HeyGem and its dependencies"
    "${pip[@]}" -e ".${extra:+[$extra]}" || return 1
    # mediapipe's metadata pulls in a desktop OpenCV (needs libGL) and jax; the face mesh needs
    # neither, so it goes in without them (its real needs are in pyproject.toml).
    "${pip[@]}" --no-deps "mediapipe==$MEDIAPIPE_VERSION" || return 1
    "$VENV/bin/python" -c 'import mediapipe.python.solutions.face_mesh' || return 1
    echo "$want" >"$stamp"
}
