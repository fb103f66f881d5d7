#!/usr/bin/env bash
# Creates tools/oracle/.venv with the pinned oracle toolchain (TFLM Python interpreter, TensorFlow
# for the int8 converter, numpy). Idempotent: rerunning only installs what is missing or differs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -c 'import tflite_micro, tensorflow, numpy; print("oracle venv ready:", tensorflow.__version__, numpy.__version__)'
