#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment with the pinned clients of
# requirements.txt: `setup-venv.sh VENV_DIR`. Used by the tests that drive msgsync with Python
# clients (through `common::python`, under a file lock) and by .ci/run (once, before the tests). A venv whose installed requirements match this
# directory's requirements.txt is reused as it is.
set -euo pipefail

venv=${1:?usage: setup-venv.sh VENV_DIR}
here=$(cd "$(dirname "$0")" && pwd)
requirements="$here/requirements.txt"
marker="$venv/installed-requirements.txt"

if [[ -x "$venv/bin/python" ]] && cmp -s "$requirements" "$marker"; then
  exit 0
fi

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "the tests driving msgsync with Python clients need CPython 3.11 to 3.13 with venv and pip: '$python' is not on PATH" >&2
  echo "install it, e.g. 'apt-get install python3 python3-venv python3-pip' on Debian" >&2
  exit 1
fi
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "the tests driving msgsync with Python clients need Python's venv module with ensurepip ($($python --version 2>&1))" >&2
  echo "install it, e.g. 'apt-get install python3-venv' on Debian" >&2
  exit 1
fi

rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip --version >/dev/null
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
  -r "$requirements"
cp "$requirements" "$marker"
