#!/usr/bin/env bash
# Regenerates the initial migration from dti/warehouse/models.py. Only while the schema has never
# been released: after the first release, add a new revision instead (alembic revision --autogenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
rm -f dti/warehouse/migrations/versions/0001_initial.py
$PY - "$tmp" <<'PYEOF'
import sys
from alembic import command
from dti.warehouse.db import alembic_config
url = f"sqlite:///{sys.argv[1]}/empty.db"
cfg = alembic_config(url)
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PYEOF
mv dti/warehouse/migrations/versions/0001_*.py dti/warehouse/migrations/versions/0001_initial.py 2>/dev/null || true
rm -rf "$tmp"
echo "dti/warehouse/migrations/versions/0001_initial.py"
