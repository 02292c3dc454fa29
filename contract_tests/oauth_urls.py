"""Helpers for chat OAuth URLs, which point at the real provider or at novu-mock's stand-in pages."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

PROVIDER_HOSTS = {"slack": "slack.com", "msteams": "login.microsoftonline.com"}
_STANDIN = re.compile(r"^/_mock/oauth/(?P<provider>slack|msteams)(?P<rest>/.*)$")


def provider_form(url: str) -> SplitResult:
    """``url`` as the provider's own URL: a stand-in URL (``<mock>/_mock/oauth/slack/oauth/v2/authorize?...``)
    is mapped back to ``https://slack.com/oauth/v2/authorize?...``; a real provider URL is returned as is."""
    parts = urlsplit(url)
    match = _STANDIN.match(parts.path)
    if match is None:
        return parts
    return SplitResult("https", PROVIDER_HOSTS[match["provider"]], match["rest"], parts.query, "")
