"""``--reload``: run the server as a child process and restart it when the spec or fixtures change.

The child is stopped with SIGTERM, so with ``--state-file`` it writes its state on the way out
and the new child loads it: state survives the restart. Without a state file the new child
starts from the fixtures again. A child that fails to start (say, a broken openapi.yaml) is
reported, and the next change tries again.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from mock_server.settings import Settings

POLL_SECONDS = 0.3


def watched_files(settings: Settings) -> list[Path]:
    import fixtures

    fixture_dir = Path(fixtures.__file__).resolve().parent
    return [Path(settings.spec_path).resolve(), *sorted(fixture_dir.rglob("*.py"))]


def _stamps(paths: list[Path]) -> dict[Path, float]:
    stamps = {}
    for path in paths:
        try:
            stamps[path] = path.stat().st_mtime_ns
        except FileNotFoundError:
            stamps[path] = -1
    return stamps


def _child_command(argv: list[str]) -> list[str]:
    return [sys.executable, "-m", "mock_server", *[arg for arg in argv if arg != "--reload"]]


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def supervise(argv: list[str], settings: Settings) -> int:
    command = _child_command(argv)
    stopping = False

    def on_signal(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    files = watched_files(settings)
    stamps = _stamps(files)
    print(f"novu-mock --reload: watching {len(files)} files ({files[0].name} and the fixtures)", flush=True)
    child = subprocess.Popen(command)
    try:
        while not stopping:
            time.sleep(POLL_SECONDS)
            files = watched_files(settings)
            now = _stamps(files)
            if now != stamps:
                changed = sorted(str(path) for path in set(now) | set(stamps) if now.get(path) != stamps.get(path))
                stamps = now
                print(f"novu-mock --reload: {', '.join(changed)} changed; restarting", flush=True)
                _stop(child)
                child = subprocess.Popen(command)
    finally:
        _stop(child)
    return 0
