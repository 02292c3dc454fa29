"""``--state-file PATH``: state that survives restarts.

At start the file, when it exists, is checked whole and loaded (a broken file stops the start
with a clear message and is left untouched). After changes the state is written again, debounced:
once no change came for ``delay`` seconds, and at least every ``max_wait`` seconds under constant
load. At shutdown (SIGTERM, SIGINT) it is written a last time. Every write goes to a temporary
file in the same folder, is flushed to disk, then renamed over the old file: a crash mid-write
leaves the previous complete file, never a partial one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.errors import utc_now_iso
from mock_server.store import Backends

logger = logging.getLogger("novu_mock")

FORMAT = "novu-mock state"
VERSION = 1
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class StateFileError(Exception):
    pass


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old or the new content."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with _suppress():
            os.unlink(temporary)
        raise
    with _suppress():  # make the rename itself durable
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)


class StateFile:
    def __init__(
        self,
        path: Path,
        backends: Backends,
        *,
        check_services: Callable[[dict[str, Any], str], None],
        delay: float = 0.5,
        max_wait: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self.backends = backends
        self.check_services = check_services
        self.delay = delay
        self.max_wait = max(max_wait, delay)
        self.writes = 0
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- loading -------------------------------------------------------------------------

    def load(self) -> bool:
        """Load the file into the environments it names; False when there is no file yet."""
        if not self.path.exists():
            return False
        try:
            document = json.loads(self.path.read_bytes())
        except (OSError, ValueError) as error:
            raise StateFileError(f"state file {self.path} cannot be read as JSON: {error}") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("version") != VERSION:
            raise StateFileError(f"state file {self.path} is not a novu-mock state file (format {FORMAT!r}, version {VERSION})")
        environments = document.get("environments")
        if not isinstance(environments, dict):
            raise StateFileError(f"state file {self.path} has no 'environments' object")
        known = {backend.environment.id: backend for backend in self.backends}
        # check everything first: a bad file loads nothing
        for environment_id, saved in environments.items():
            if environment_id in known:
                try:
                    self.check_services(saved.get("services") if isinstance(saved, dict) else None, f"environments.{environment_id}")
                except ValueError as error:
                    raise StateFileError(f"state file {self.path}: {error}") from None
        for environment_id, saved in environments.items():
            backend = known.get(environment_id)
            if backend is None:
                logger.warning("state file %s: environment %s has no API key here; skipped", self.path, environment_id)
                continue
            try:
                backend.import_state(saved["services"])
            except Exception as error:
                raise StateFileError(f"state file {self.path}, environment {environment_id}: {error}") from None
        return True

    # -- writing -------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "savedAt": utc_now_iso(),
            "environments": {
                backend.environment.id: {"name": backend.environment.name, "services": backend.export_state()}
                for backend in self.backends
            },
        }

    def flush(self) -> None:
        with self._write_lock:
            data = json.dumps(self.document(), ensure_ascii=False, indent=1).encode()
            atomic_write(self.path, data)
            self.writes += 1

    def changed(self) -> None:
        self._dirty.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="novu-mock-state-file", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the writer and write the state a last time."""
        self._stop.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            first = time.monotonic()
            while True:  # debounce: wait for a quiet moment, but not for ever
                self._dirty.clear()
                if self._stop.wait(self.delay):
                    return  # close() writes the last state
                if not self._dirty.is_set() or time.monotonic() - first >= self.max_wait:
                    break
            try:
                self.flush()
            except Exception:  # a full disk must not kill the writer; the next change tries again
                logger.exception("could not write the state file %s", self.path)


class ChangeWatcher:
    """Tells the state file about every request that may have changed state."""

    def __init__(self, app: ASGIApp, *, state_file: StateFile) -> None:
        self.app = app
        self.state_file = state_file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGING_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.state_file.changed()
