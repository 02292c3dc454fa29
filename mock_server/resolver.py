"""One rule from a Novu operationId to the handler that serves it.

``IntegrationsController_createIntegration`` -> ``mock_server.handlers.integrations.create_integration``
``SubscribersV1Controller_listSubscribers``  -> ``mock_server.handlers.subscribers_v1.list_subscribers``
``EnvironmentsControllerV1_createEnvironment`` -> ``mock_server.handlers.environments_v1.create_environment``

The handler is wrapped once, at start: it gets the environment's backend as its first argument
when it names one, and its result goes through ``wire.envelope``. An operationId without a
handler stops the app at start.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from typing import Any, Callable

from connexion.context import context, request, scope
from connexion.resolver import Resolver

from mock_server.controls import choose
from mock_server.spec import OperationFacts, Spec
from mock_server.store import Backends
from mock_server.wire import HEADERS_KEY, envelope, refuse_long_uri

HANDLERS_PACKAGE = "mock_server.handlers"


def snake(name: str) -> str:
    # "OAuth" is one word in Novu's names (getChatOAuthUrl -> get_chat_oauth_url)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.replace("OAuth", "Oauth")).lower()


def handler_path(operation_id: str) -> tuple[str, str]:
    controller, _, method = operation_id.partition("_")
    # the version may follow the word Controller (EnvironmentsControllerV1) or precede it
    module = re.sub(r"Controller(V[0-9]+)?$", r"\1", controller)
    return f"{HANDLERS_PACKAGE}.{snake(module)}", snake(method)


class NovuResolver(Resolver):
    def __init__(self, spec: Spec, backends: Backends) -> None:
        super().__init__()
        self.spec = spec
        self.backends = backends

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        return self._bind(*self.handler_of(operation_id), self.spec.operations[operation_id])

    def check_all(self) -> None:
        """Fail now, not at the first request, when an operation of the spec has no handler."""
        for operation_id in self.spec.operations:
            self._handler(operation_id)

    @staticmethod
    def _handler(operation_id: str) -> Callable[..., Any]:
        module_name, function_name = handler_path(operation_id)
        try:
            return getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError):
            raise LookupError(f"operationId {operation_id} has no handler {module_name}.{function_name}") from None

    @classmethod
    def handler_of(cls, operation_id: str) -> tuple[Callable[..., Any], bool]:
        """The handler of an operation, and whether it takes the environment's backend first."""
        handler = cls._handler(operation_id)
        return handler, next(iter(inspect.signature(handler).parameters), None) == "backend"

    def _bind(self, handler: Callable[..., Any], wants_backend: bool, facts: OperationFacts) -> Callable[..., Any]:
        backends = self.backends
        spec = self.spec

        @functools.wraps(handler)
        async def operation(**kwargs: Any) -> Any:
            refuse_long_uri()
            # Prism's "choose a response" stage: Prefer / __code ... may answer instead of the state.
            chosen = await choose.stage(spec, facts, request, scope["extensions"].get(HEADERS_KEY, {}))
            if chosen is not None:
                return chosen.body, chosen.status, chosen.headers
            if wants_backend:
                result = handler(context["token_info"]["backend"], **kwargs)
            else:
                result = handler(**kwargs)
            if inspect.isawaitable(result):
                result = await result
            return envelope(result, facts)

        return operation
