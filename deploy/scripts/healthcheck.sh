#!/usr/bin/env bash
# Exit 0 while the worker at HEALTH_URL (default http://127.0.0.1:8080/healthz) answers 200, i.e. its
# store is reachable; for the container's HEALTHCHECK and monitoring.
set -euo pipefail
exec "${PYTHON:-python}" - "${HEALTH_URL:-http://127.0.0.1:8080/healthz}" <<'PY'
import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
PY
