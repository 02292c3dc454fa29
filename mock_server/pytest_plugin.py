"""The ``novu_mock`` pytest fixture, registered through the ``pytest11`` entry point.

One mock per test session (started at the first test that asks for it, on a free port), reset to
its seeded fixtures and an empty journal before each test. ``@pytest.mark.novu_mock(fixtures=False)``
starts a test with empty environments; ``--novu-mock-empty`` makes that the default and
``--novu-mock-seed N`` changes the fixtures' seed. The fixture is a ``mock_server.testing.NovuMock``.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("novu-mock")
    group.addoption("--novu-mock-seed", type=int, default=1, help="seed of the novu_mock fixture's data (default 1)")
    group.addoption(
        "--novu-mock-empty", action="store_true", help="start each test with empty environments (no seeded fixtures)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "novu_mock(fixtures=True): fixtures=False starts the test's mock environments empty"
    )


@pytest.fixture(scope="session")
def _novu_mock_server(request: pytest.FixtureRequest):
    from mock_server.testing import NovuMock

    with NovuMock.start(seed=request.config.getoption("--novu-mock-seed")) as mock:
        yield mock


@pytest.fixture
def novu_mock(_novu_mock_server, request: pytest.FixtureRequest):
    """The session's mock, reset for this test: ``url``, ``api_key``, ``other_api_key``, ``client``,
    ``requests(...)``, ``triggers(...)``, ``count(...)`` and ``assert_triggered(...)``."""
    marker = request.node.get_closest_marker("novu_mock")
    fixtures = not request.config.getoption("--novu-mock-empty")
    if marker is not None:
        fixtures = marker.kwargs.get("fixtures", fixtures)
    _novu_mock_server.reset(fixtures=fixtures)
    return _novu_mock_server
