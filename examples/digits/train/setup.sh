#!/usr/bin/env bash
# Prepares the Python environment for train.py: the pinned oracle venv (tools/oracle/.venv, with
# TensorFlow for training and conversion and the TFLM interpreter for evaluation), extended with the
# pinned packages of requirements.txt. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
"$root/tools/oracle/setup.sh"
venv="$root/tools/oracle/.venv"
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -c 'import sklearn; print("digits training ready: scikit-learn", sklearn.__version__)'
echo "run: $venv/bin/python $here/train.py"
