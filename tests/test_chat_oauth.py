"""Signed, expiring OAuth state and the provider URLs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mock_server.chat_oauth import StateSigner, authorize_url
from mock_server.errors import BadRequest, NotFound
from tests.fakes import Clock


def test_state_round_trips() -> None:
    signer = StateSigner("secret", 300)
    payload = {"environmentId": "e1", "subscriberId": "s1", "context": {"tenant": "acme"}}
    assert signer.verify(signer.sign(payload)) == payload


def test_tampered_state_is_refused() -> None:
    signer = StateSigner("secret", 300)
    state = signer.sign({"subscriberId": "s1"})
    for forged in (state[:-2] + ("AA" if not state.endswith("AA") else "BB"), "x" + state, "not-a-state"):
        with pytest.raises(BadRequest, match="invalid or has been tampered"):
            signer.verify(forged)
    with pytest.raises(BadRequest, match="tampered"):
        StateSigner("another secret", 300).verify(state)


def test_state_expires_after_five_minutes() -> None:
    clock = Clock(1_800_000_000)
    signer = StateSigner("secret", 300, clock=clock)
    state = signer.sign({"subscriberId": "s1"})
    clock.now += 299
    assert signer.verify(state) == {"subscriberId": "s1"}
    clock.now += 2
    with pytest.raises(BadRequest, match="expired"):
        signer.verify(state)


def test_slack_url_with_default_and_custom_scopes() -> None:
    common = dict(provider_id="slack", credentials={"clientId": "1.2"}, integration_identifier="slack-prod",
                  state="S", redirect_uri="http://127.0.0.1:4010/cb")  # fmt: skip
    query = parse_qs(urlsplit(authorize_url(**common)).query)
    assert query == {
        "client_id": ["1.2"],
        "scope": ["chat:write,chat:write.public,channels:read,groups:read,users:read,users:read.email"],
        "redirect_uri": ["http://127.0.0.1:4010/cb"],
        "state": ["S"],
    }
    assert parse_qs(urlsplit(authorize_url(**common, scope=["im:write"])).query)["scope"] == ["im:write"]
    linked = parse_qs(urlsplit(authorize_url(**common, link_user=True)).query)
    assert linked["user_scope"] == ["identity.basic"] and "scope" not in linked


def test_msteams_url_uses_the_tenant() -> None:
    url = urlsplit(authorize_url(provider_id="msteams", credentials={"clientId": "c", "tenantId": "t-1"},
                                 integration_identifier="teams", state="S", redirect_uri="http://x/cb"))  # fmt: skip
    assert (url.netloc, url.path) == ("login.microsoftonline.com", "/t-1/adminconsent")


def test_missing_client_id_is_a_404_naming_the_provider() -> None:
    common = dict(integration_identifier="s", state="S", redirect_uri="r")
    with pytest.raises(NotFound, match=r"^Slack integration missing credentials $"):
        authorize_url(provider_id="slack", credentials={}, **common)
    with pytest.raises(NotFound, match=r"^MS Teams integration missing required OAuth credentials \(clientId\) $"):
        authorize_url(provider_id="msteams", credentials={"tenantId": "t"}, **common)
