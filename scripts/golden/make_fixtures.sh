#!/usr/bin/env bash
# Rewrites every fixture under fixtures/ from the generator scripts in scripts/golden/ (the fixture texts live
# in those scripts). fixture_monkey.py needs the dev corpus (default /work/corpus; CORPUS=DIR to change) and
# the zstd command; fixture_compressed.sh (last) gzip, bzip2 and xz. Then run make_goldens.sh to refresh the golden files.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
"$PYTHON" scripts/golden/fixture_fudan.py
"$PYTHON" scripts/golden/fixture_belle.py
"$PYTHON" scripts/golden/fixture_alpaca.py
"$PYTHON" scripts/golden/fixture_chat.py
"$PYTHON" scripts/golden/fixture_bad.py
"$PYTHON" scripts/golden/fixture_monkey.py --corpus "${CORPUS:-/work/corpus}"
bash scripts/golden/fixture_compressed.sh
