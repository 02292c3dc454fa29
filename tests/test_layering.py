"""Dependencies point one way (ARCHITECTURE.md): the store and the fixtures know nothing of Connexion."""

from __future__ import annotations

import subprocess
import sys


def test_the_store_and_fixtures_import_no_connexion() -> None:
    code = (
        "import sys, mock_server.store, fixtures; "
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('connexion', 'starlette', 'uvicorn')); "
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
