"""``--state-file PATH``: state that survives restarts, and no acknowledged write lost.

Two files: ``PATH``, a snapshot of every environment, and ``PATH.log``, an append-only log of
what changed since. A request that may change state (POST, PUT, PATCH, DELETE) gets its answer
only after its change is in the log: the ``ChangeWatcher`` holds the answer back, the state file
exports the environment the request's key names (every environment for requests without a key:
the control surface, OAuth callbacks), compares each service's records with what the files
already hold and appends one line with the services that differ. The line is written with
``os.write`` to a file opened for appending, so it is in the operating system before the answer
leaves: a ``kill -9`` of the process loses nothing acknowledged.

Commits are grouped: requests that finish while a commit is under way share the next one, so
under concurrency one export serves many requests. The log holds state, never requests to
replay, so it needs no rule of the store to be deterministic and follows every service a
``Backend`` has. A commit exports the services that may have changed, whole: those whose public
methods were called since the last commit (each is wrapped to note it, before and after the
call), and those another service calls back (its removal listeners). What a commit costs grows
with the size of those services, not with the size of the change. As a safety net for a change
made some other way, a commit exports the whole environment when the last whole export is more
than ``FULL_EXPORT_SECONDS`` old.

Power loss is what ``fsync`` (``--state-fsync``) is for: ``always`` syncs the log before each
answer (nothing acknowledged is lost, at a cost per commit); ``interval`` (default) syncs it once
a second from a background thread (a power loss loses at most about the last second); ``never``
leaves it to the operating system (still safe against a killed process).

When the log outgrows the snapshot, and at start and shutdown, the log is folded into the
snapshot: written to a temporary file, synced, renamed over the old one, then the log is
emptied. Each log line carries a sequence number and the snapshot the last one it holds, so a
crash between the rename and the truncation replays nothing twice. At start the snapshot is
read, the log's lines applied to it (a last line cut short by a crash mid-write was never
acknowledged and is dropped with a warning), the whole checked (a broken file stops the start
with a clear message and is left untouched) and loaded.

A write that fails (a full disk, a value JSON cannot hold) is logged loudly with the reason and
retried by the next commit: it never stops later writes.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.auth import environment_of
from mock_server.controls.durable import atomic_write, dumps, loads, write_all
from mock_server.errors import utc_now_iso
from mock_server.store import Backends, Environment

logger = logging.getLogger("novu_mock")

FORMAT = "novu-mock state"
VERSION = 1
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FSYNC_POLICIES = ("always", "interval", "never")
DEFAULT_FSYNC = "interval"
FSYNC_INTERVAL_SECONDS = 1.0
# the log is folded into the snapshot once it is larger than this many times the snapshot (and 4 MiB)
COMPACT_RATIO = 4
COMPACT_MIN_BYTES = 16 * 1024 * 1024
FULL_EXPORT_SECONDS = 5.0


class StateFileError(Exception):
    pass


# An environment's own fields as the files keep them: made environments are added back from
# them at start (with their secret key), configured ones get back what PUT changed.
_DEFINITION_FIELDS = (
    ("id", "id"), ("name", "name"), ("organizationId", "organization_id"), ("apiKey", "api_key"),
    ("identifier", "identifier"), ("color", "color"), ("parentId", "parent_id"), ("createdAt", "created_at"),
    ("updatedAt", "updated_at"), ("bridgeUrl", "bridge_url"), ("inboundParseDomain", "inbound_parse_domain"),
    ("configured", "configured"),
)  # fmt: skip
_CHANGEABLE = ("name", "identifier", "color", "parent_id", "created_at", "updated_at", "bridge_url",
               "inbound_parse_domain")  # fmt: skip


def definition_of(environment: Environment) -> dict[str, Any]:
    return {name: getattr(environment, attribute) for name, attribute in _DEFINITION_FIELDS}


def environment_from(definition: dict[str, Any]) -> Environment:
    values = {attribute: definition.get(name) for name, attribute in _DEFINITION_FIELDS}
    for attribute in ("id", "name", "organization_id", "api_key"):
        if not isinstance(values[attribute], str) or not values[attribute]:
            raise StateFileError(f"an environment's definition has no {attribute}")
    return Environment(**{key: value for key, value in values.items() if value is not None})


class StateFile:
    def __init__(
        self,
        path: Path,
        backends: Backends,
        *,
        check_services: Callable[[dict[str, Any], str], None],
        fsync: str = DEFAULT_FSYNC,
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, not {fsync!r}")
        self.path = Path(path)
        self.log_path = self.path.with_name(self.path.name + ".log")
        self.backends = backends
        self.check_services = check_services
        self.fsync = fsync
        self.writes = 0  # log lines appended
        self.compactions = 0
        self.failures = 0
        # environment id -> service -> the JSON of its records as the files hold them
        self._written: dict[str, dict[str, bytes]] = {}
        # environment id -> the JSON of its definition as the files hold it
        self._definitions: dict[str, bytes] = {}
        self._sequence = 0
        self._snapshot_bytes = 0
        self._log: int | None = None
        self._log_bytes = 0
        self._unsynced = False
        self._lock = threading.RLock()  # one commit or compaction at a time
        self._stop = threading.Event()
        self._syncer: threading.Thread | None = None
        # group commit, on the event loop: requests wanting a commit, commits done, the one running
        self._requested = 0
        self._committed = 0
        self._wanted: set[str] | None = set()  # None: every environment
        self._running: asyncio.Future | None = None
        # which services may have changed: the Backend each environment's wrappers were put on,
        # (environment, service) pairs noted since the last commit, the last whole export
        self._watched: dict[str, Any] = {}
        self._touched: set[tuple[str, str]] = set()
        self._full_at: dict[str, float] = {}
        self._exporting = threading.local()

    # -- loading -------------------------------------------------------------------------

    def _read(self) -> dict[str, Any] | None:
        """The snapshot with the log applied, checked; None when there is neither."""
        if not self.path.exists() and not self.log_path.exists():
            return None
        document: dict[str, Any] = {"format": FORMAT, "version": VERSION, "sequence": 0, "environments": {}}
        if self.path.exists():
            try:
                document = loads(self.path.read_bytes())
            except (OSError, ValueError) as error:
                raise StateFileError(f"state file {self.path} cannot be read as JSON: {error}") from None
            if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("version") != VERSION:
                raise StateFileError(
                    f"state file {self.path} is not a novu-mock state file (format {FORMAT!r}, version {VERSION})"
                )
            if not isinstance(document.get("environments"), dict):
                raise StateFileError(f"state file {self.path} has no 'environments' object")
        environments = document["environments"]
        sequence = document.get("sequence", 0)
        if self.log_path.exists():
            lines = self.log_path.read_bytes().split(b"\n")
            last = len(lines) - 1
            for number, line in enumerate(lines):
                if not line.strip():
                    continue
                try:
                    entry = loads(line)
                    services = entry["services"]
                    if not isinstance(services, dict):
                        raise TypeError("'services' is not an object")
                except (ValueError, KeyError, TypeError) as error:
                    if number == last:  # cut short by a crash mid-write: never acknowledged
                        logger.warning("state file %s: the last line was cut short (%s); dropped", self.log_path, error)
                        continue
                    raise StateFileError(f"state file {self.log_path}, line {number + 1}: {error}") from None
                if entry.get("sequence", 0) <= document.get("sequence", 0):
                    continue  # already in the snapshot (a crash between the fold and the truncation)
                sequence = entry["sequence"]
                if entry.get("removed"):
                    environments.pop(entry["environment"], None)
                    continue
                saved = environments.setdefault(entry["environment"], {"name": entry.get("name"), "services": {}})
                saved["services"].update(services)
                if isinstance(entry.get("definition"), dict):
                    saved["definition"] = entry["definition"]
        document["sequence"] = sequence
        return document

    def load(self) -> bool:
        """Load the files into the environments they name; False when there are none yet."""
        document = self._read()
        if document is None:
            return False
        environments = document["environments"]
        known = {environment.id for environment in self.backends.environments()}

        def definition(saved: Any) -> dict[str, Any] | None:
            found = saved.get("definition") if isinstance(saved, dict) else None
            return found if isinstance(found, dict) else None

        # environments made by POST /v1/environments come back from their definition
        made = {
            environment_id
            for environment_id, saved in environments.items()
            if environment_id not in known and (definition(saved) or {}).get("configured") is False
        }
        # check everything first: a bad file loads nothing
        for environment_id, saved in environments.items():
            if environment_id in known or environment_id in made:
                try:
                    self.check_services(
                        saved.get("services") if isinstance(saved, dict) else None, f"environments.{environment_id}"
                    )
                    if environment_id in made:
                        environment_from(definition(saved) or {})
                except (ValueError, StateFileError) as error:
                    raise StateFileError(f"state file {self.path}: {error}") from None
        for environment_id, saved in environments.items():
            if environment_id not in known and environment_id not in made:
                logger.warning("state file %s: environment %s has no API key here; skipped", self.path, environment_id)
                continue
            try:
                defined = definition(saved)
                if environment_id in made:
                    self.backends.add(environment_from(defined or {}))
                elif defined is not None:
                    given = environment_from({**definition_of(self.backends.environment_for_id(environment_id)), **defined})
                    self.backends.update(environment_id, **{name: getattr(given, name) for name in _CHANGEABLE})
                self.backends[environment_id].import_state(saved["services"])
            except Exception as error:  # noqa: BLE001 (any refusal of the store stops the start, named)
                raise StateFileError(f"state file {self.path}, environment {environment_id}: {error}") from None
        self._sequence = document["sequence"]
        return True

    # -- writing -------------------------------------------------------------------------

    def _export(self, environment_id: str, names: set[str] | None = None) -> dict[str, bytes]:
        """The JSON of each service (those of ``names``, or all), taken under the shared lock."""
        backend = self.backends[environment_id]
        self._exporting.now = True
        try:
            with backend.lock:
                snapshots = {
                    name: service.snapshot()
                    for name, service in backend.services().items()
                    if names is None or name in names
                }
        finally:
            self._exporting.now = False
        return {
            name: dumps(records, f"environment {environment_id}, service {name}") for name, records in snapshots.items()
        }

    # -- which services may have changed -------------------------------------------------

    def _noting(self, environment_id: str, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        touched = self._touched
        exporting = self._exporting
        key = (environment_id, name)

        @functools.wraps(method)
        def noted(*args: Any, **kwargs: Any) -> Any:
            if getattr(exporting, "now", False):  # the state file's own reads
                return method(*args, **kwargs)
            # before and after: a commit that takes the first note may export before the change
            # is made; the second is taken by the commit the request then waits for
            touched.add(key)
            try:
                return method(*args, **kwargs)
            finally:
                touched.add(key)

        return noted

    def _watch(self, environment_id: str) -> bool:
        """Wrap the services of the environment's Backend (a reset makes a new one); True when
        they were not wrapped yet, so that nothing tells what changed before."""
        backend = self.backends[environment_id]
        if self._watched.get(environment_id) is backend:
            return False
        services = backend.services()
        owner = {id(service): name for name, service in services.items()}
        try:
            for name, service in services.items():
                # callbacks into other services (removal listeners) note those services
                for attribute, value in list(vars(service).items()):
                    if isinstance(value, list):
                        for index, item in enumerate(value):
                            if inspect.ismethod(item) and owner.get(id(item.__self__), name) != name:
                                value[index] = self._noting(environment_id, owner[id(item.__self__)], item)
                    elif inspect.ismethod(value) and owner.get(id(value.__self__), name) != name:
                        setattr(service, attribute, self._noting(environment_id, owner[id(value.__self__)], value))
                for attribute in dir(type(service)):
                    if attribute.startswith("_") or not inspect.isfunction(
                        inspect.getattr_static(type(service), attribute)
                    ):
                        continue
                    setattr(service, attribute, self._noting(environment_id, name, getattr(service, attribute)))
        except (AttributeError, TypeError):  # a service that takes no attributes: export it whole, always
            logger.warning(
                "state file: the services of %s cannot be watched; each commit exports them all", environment_id
            )
            return True
        self._watched[environment_id] = backend
        return True

    def _shared_touches(
        self, touched: set[tuple[str, str]], environments: dict[str, Environment]
    ) -> set[tuple[str, str]]:
        """A change to a service shared by an organization (``SHARED_BY_ORGANIZATION``: the
        environment variables) changes what every environment of the organization exports."""
        extra: set[tuple[str, str]] = set()
        for environment_id, name in touched:
            environment = environments.get(environment_id)
            if environment is None:
                continue
            service = self.backends[environment_id].services().get(name)
            if not getattr(service, "SHARED_BY_ORGANIZATION", False):
                continue
            extra |= {
                (other.id, name)
                for other in environments.values()
                if other.organization_id == environment.organization_id and other.id != environment_id
            }
        return extra

    def _changed_services(self, environment_id: str, touched: set[tuple[str, str]]) -> set[str] | None:
        """The services to export for this commit (None: all)."""
        fresh = self._watch(environment_id)
        now = time.monotonic()
        if (
            fresh
            or environment_id not in self._written
            or now - self._full_at.get(environment_id, 0) > FULL_EXPORT_SECONDS
        ):
            self._full_at[environment_id] = now
            return None
        return {name for environment, name in touched if environment == environment_id}

    def touched_environments(self) -> set[str]:
        """The environments whose services were called since their last commit."""
        return {environment_id for environment_id, _ in list(self._touched)}

    def commit(self, environment_ids: Iterable[str] | None = None) -> int:
        """Append what changed in these environments (None: all) to the log; lines written."""
        with self._lock:
            held = self.backends.snapshot()  # keeps each Backend reachable while it is exported
            environments = {environment_id: backend.environment for environment_id, backend in held.items()}
            wanted = list(environments)
            touched = set(self._touched)
            self._touched.difference_update(touched)
            shared = self._shared_touches(touched, environments)
            touched |= shared
            if environment_ids is not None:
                # the environments asked for, those the files do not hold yet (just made) and
                # those whose view of a service shared in the organization changed
                chosen = set(environment_ids) | {environment_id for environment_id, _ in shared}
                chosen |= {environment_id for environment_id in wanted if environment_id not in self._definitions}
                wanted = [environment_id for environment_id in wanted if environment_id in chosen]
            # notes of environments this commit does not cover stay for the next
            self._touched.update(key for key in touched if key[0] not in wanted and key[0] in environments)
            lines = []
            exported = {}
            defined = {}
            removed = [environment_id for environment_id in self._definitions if environment_id not in environments]
            try:
                for environment_id in removed:
                    self._sequence += 1
                    lines.append(
                        b'{"sequence":%d,"environment":%s,"removed":true,"services":{}}\n'
                        % (self._sequence, orjson.dumps(environment_id))
                    )
                for environment_id in wanted:
                    definition = dumps(definition_of(environments[environment_id]), "environment definition")
                    new_definition = self._definitions.get(environment_id) != definition
                    names = self._changed_services(environment_id, touched)
                    if names is not None and not names and not new_definition:
                        continue
                    services = self._export(environment_id, names) if names is None or names else {}
                    before = self._written.get(environment_id, {})
                    changed = {name: data for name, data in services.items() if before.get(name) != data}
                    if not changed and not new_definition:
                        continue
                    exported[environment_id] = changed
                    defined[environment_id] = definition
                    self._sequence += 1
                    name = environments[environment_id].name
                    parts = b",".join(orjson.dumps(service) + b":" + data for service, data in changed.items())
                    lines.append(
                        b'{"sequence":%d,"environment":%s,"name":%s,"definition":%s,"services":{%s}}\n'
                        % (self._sequence, orjson.dumps(environment_id), dumps(name, "environment name"), definition, parts)
                    )
                if not lines:
                    return 0
                handle = self._open_log()
                data = b"".join(lines)
                write_all(handle, data)
            except BaseException:
                self._touched.update(touched)  # the next commit tries these again
                self._full_at.clear()
                raise
            if self.fsync == "always":
                os.fsync(handle)
            else:
                self._unsynced = True
            self._log_bytes += len(data)
            for environment_id, changed in exported.items():
                self._written.setdefault(environment_id, {}).update(changed)
            self._definitions.update(defined)
            for environment_id in removed:
                for kept in (self._written, self._definitions, self._full_at, self._watched):
                    kept.pop(environment_id, None)
            self.writes += len(lines)
            if self._log_bytes > max(COMPACT_MIN_BYTES, COMPACT_RATIO * self._snapshot_bytes):
                self._compact()
            return len(lines)

    def _open_log(self) -> int:
        if self._log is None:
            self._log = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._log_bytes = os.fstat(self._log).st_size
        return self._log

    def flush(self) -> None:
        """Export every environment whole, fold everything into the snapshot and empty the log."""
        with self._lock:
            self._full_at.clear()
            self.commit()
            self._compact()

    def _compact(self) -> None:
        # what the log holds is what was written; an environment not written yet is exported now
        held = self.backends.snapshot()  # keeps each Backend reachable while it is exported
        current = {environment_id: backend.environment for environment_id, backend in held.items()}
        for environment in current.values():
            if environment.id not in self._written or self._watch(environment.id):
                self._written[environment.id] = self._export(environment.id)
                self._full_at[environment.id] = time.monotonic()
            self._definitions[environment.id] = dumps(definition_of(environment), "environment definition")
        for environment_id in [environment_id for environment_id in self._written if environment_id not in current]:
            for kept in (self._written, self._definitions, self._full_at, self._watched):
                kept.pop(environment_id, None)
        environments = b",".join(
            orjson.dumps(environment_id)
            + b':{"name":%s,"definition":%s,"services":{%s}}'
            % (
                dumps(current[environment_id].name, "environment name"),
                self._definitions[environment_id],
                b",".join(orjson.dumps(name) + b":" + data for name, data in services.items()),
            )
            for environment_id, services in self._written.items()
        )
        head = orjson.dumps(
            {"format": FORMAT, "version": VERSION, "savedAt": utc_now_iso(), "sequence": self._sequence}
        )
        data = head[:-1] + b',"environments":{' + environments + b"}}"
        # the snapshot is synced before the log it replaces is emptied (unless fsync is never)
        atomic_write(self.path, data, sync=self.fsync != "never")
        self._snapshot_bytes = len(data)
        handle = self._open_log()
        os.ftruncate(handle, 0)
        self._log_bytes = 0
        self.compactions += 1

    def start(self) -> None:
        """At start: fold what the log holds into the snapshot, then sync the log now and then."""
        self._running = None  # a future of another event loop (test clients start one each time)
        self.flush()
        if self.fsync == "interval" and self._syncer is None:
            self._stop.clear()
            self._syncer = threading.Thread(target=self._sync_now_and_then, name="novu-mock-state-fsync", daemon=True)
            self._syncer.start()

    def close(self) -> None:
        """Stop syncing, fold the log into the snapshot a last time."""
        self._stop.set()
        if self._syncer is not None:
            self._syncer.join(timeout=10)
            self._syncer = None
        try:
            self.flush()
        except Exception:
            logger.exception(
                "STATE FILE NOT WRITTEN at shutdown: %s (the log %s still holds every commit)", self.path, self.log_path
            )
        with self._lock:
            if self._log is not None:
                os.close(self._log)
                self._log = None

    def _sync_now_and_then(self) -> None:
        while not self._stop.wait(FSYNC_INTERVAL_SECONDS):
            with self._lock:
                handle = self._log if self._unsynced else None
                self._unsynced = False
            if handle is None:
                continue
            try:  # outside the lock: commits go on meanwhile (close() stops this thread first)
                os.fsync(handle)
            except OSError:
                self._unsynced = True
                logger.exception("could not sync the state log %s", self.log_path)

    # -- group commit (event loop side) --------------------------------------------------

    def _commit_logged(self, wanted: set[str] | None) -> None:
        try:
            self.commit(wanted)
        except Exception:
            self.failures += 1
            # loud, with the reason; the next commit writes what this one could not
            logger.exception("STATE NOT WRITTEN to %s: the changes just answered are only in memory", self.log_path)

    async def persist(self, environment_ids: set[str] | None) -> None:
        """Return once a commit that began after this call has ended (requests share commits).

        The commit runs on a worker thread (the loop goes on reading requests meanwhile, and a
        sync to the disk does not stop it); the requests that finish meanwhile share the next.
        """
        self._requested += 1
        mine = self._requested
        if environment_ids is None or self._wanted is None:
            self._wanted = None
        else:
            self._wanted |= environment_ids
        loop = asyncio.get_running_loop()
        while self._committed < mine:
            if self._running is None or self._running.done():
                wanted, self._wanted = self._wanted, set()
                upto = self._requested
                self._running = loop.run_in_executor(None, self._commit_logged, wanted)

                def done(_future: asyncio.Future, upto: int = upto) -> None:
                    self._committed = max(self._committed, upto)

                self._running.add_done_callback(done)
            await asyncio.shield(self._running)


class ChangeWatcher:
    """Holds back the answer of every request that may change state until its change is in the log."""

    def __init__(self, app: ASGIApp, *, state_file: StateFile) -> None:
        self.app = app
        self.state_file = state_file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGING_METHODS:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        finally:
            # the environment the key names; every one for requests without a key (the control
            # surface acts on any, an OAuth callback names its environment in the signed state)
            environment = (
                None if scope["path"].startswith("/_mock/") else environment_of(scope, self.state_file.backends)
            )
            # and the environments the request reached besides its own (a workflow sync writes to
            # another environment of the organization)
            await self.state_file.persist(
                None if environment is None else {environment.id} | self.state_file.touched_environments()
            )
            for message in held:
                await send(message)
