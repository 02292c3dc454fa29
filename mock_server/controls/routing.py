"""Which documented operation a request names; and, when none, the closest ones (near misses)."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from mock_server.spec import OperationFacts, Spec

# Paths that are the mock's own (documents, docs page, control surface), not the Novu API.
OWN_PATHS = ("/_mock/", "/_mock", "/docs", "/openapi.json", "/openapi.yaml")


def is_api_path(path: str) -> bool:
    return not path.startswith(OWN_PATHS)


@dataclass(frozen=True, slots=True)
class NearMiss:
    operation_id: str
    method: str
    path: str
    score: float

    def to_dto(self) -> dict:
        return {"operationId": self.operation_id, "method": self.method, "path": self.path, "score": self.score}


_SCOPE_KEY = "novu_mock_operation"


class Router:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        # By method and number of segments, so a request only tries routes of its shape; within a
        # shape a literal path wins over a templated one (/v1/integrations/active vs .../{id}).
        self._by_shape: dict[tuple[str, int], list[tuple[re.Pattern[str], OperationFacts]]] = {}
        for facts in sorted(spec.operations.values(), key=lambda facts: "{" in facts.path):
            regex = re.sub(r"\\{[^}/]+\\}", "[^/]+", re.escape(facts.path))
            self._by_shape.setdefault((facts.method, facts.path.count("/")), []).append((re.compile(f"^{regex}$"), facts))

    def match(self, method: str, path: str) -> OperationFacts | None:
        method = "GET" if method.upper() == "HEAD" else method.upper()
        for regex, facts in self._by_shape.get((method, path.count("/")), ()):
            if regex.match(path):
                return facts
        return None

    def match_scope(self, scope: dict) -> OperationFacts | None:
        """``match`` for an ASGI request, worked out once per request and kept in its scope."""
        extensions = scope.setdefault("extensions", {})
        if _SCOPE_KEY not in extensions:
            extensions[_SCOPE_KEY] = self.match(scope["method"], scope["path"])
        return extensions[_SCOPE_KEY]

    @functools.lru_cache(maxsize=256)
    def documented_statuses(self, facts: OperationFacts) -> tuple[int, ...]:
        operation = self.spec.document["paths"][facts.path][facts.method.lower()]
        return tuple(sorted(int(code) for code in operation["responses"]))

    @functools.lru_cache(maxsize=1024)
    def near_misses(self, method: str, path: str, limit: int = 3) -> tuple[NearMiss, ...]:
        """The documented operations closest to ``METHOD path``, best first, as WireMock ranks them."""
        method = method.upper()
        wanted = f"{method} {path}"
        segments = path.strip("/").split("/")
        ranked = []
        for facts in self.spec.operations.values():
            template = facts.path.strip("/").split("/")
            if len(template) == len(segments):
                # a template segment ({integrationId}) matches whatever the request has there
                filled = [seg if part.startswith("{") else part for part, seg in zip(template, segments)]
                candidate_path = "/" + "/".join(filled)
            else:
                candidate_path = facts.path
            score = difflib.SequenceMatcher(None, wanted, f"{facts.method} {candidate_path}").ratio()
            ranked.append(NearMiss(facts.operation_id, facts.method, facts.path, round(score, 3)))
        ranked.sort(key=lambda miss: (-miss.score, miss.path, miss.method))
        return tuple(ranked[:limit])
