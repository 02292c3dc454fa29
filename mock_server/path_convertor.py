"""Route paths as Express reads them: a newline is a character of a path segment like any other.

Starlette mounts sub-applications with a ``{path:path}`` pattern whose ``.*`` stops at a newline,
so a request for ``/v2/subscribers/a%0A`` lost its route at Connexion's mount: 404 before the key
was even checked (Schemathesis' ``ignored_auth`` found it). Novu's Express routes take ``a\\n`` as
the subscriber id, check the key first (401) and then answer that subscriber was not found.
Registering the ``path`` convertor again, through Starlette's own extension point, with the same
pattern in single-line mode (``(?s:.*)``) makes every mount created afterwards match any path.
"""

from __future__ import annotations

from starlette.convertors import PathConvertor, register_url_convertor


class AnyCharacterPathConvertor(PathConvertor):
    regex = "(?s:.*)"


def install() -> None:
    """Register the convertor (idempotent); mounts made before it keep Starlette's pattern."""
    register_url_convertor("path", AnyCharacterPathConvertor())


install()
