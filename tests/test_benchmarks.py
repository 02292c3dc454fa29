"""The parts of benchmarks/vs_prism.py and floor.py that do not measure: wrk's figures and Lua
script, the request mix against a real mock, memory and CPU time reading, starting/stopping
servers, the reference app, the table and the targets that decide the exit code. No timing is
asserted (CPU time spent on purpose is, as a lower bound)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from benchmarks import floor, reference_app, vs_prism, wrk_runner
from benchmarks.process_sampler import PeakRss, StartError, cpu_seconds, free_port, rss_bytes, running
from benchmarks.vs_prism import Figures, missed_targets, render_table
from benchmarks.wrk_runner import Request, WrkError, WrkResult, parse_output
from mock_server.serving import running as running_mock
from mock_server.settings import Settings

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40000
  1 threads and 16 connections
  Latency Distribution
     50%    4.18ms
     99%   24.32ms
  30320 requests in 10.02s, 12.5MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   3025.95

WRK_JSON {"requests": 30320, "duration_us": 10020000, "bytes": 12500000, "p50_us": 4180, "p99_us": 24320, "socket_errors": 3, "status_errors": 7}
"""


def test_parse_output_reads_the_done_line() -> None:
    result = parse_output(WRK_OUTPUT)
    assert result == WrkResult(
        requests=30320, duration_s=10.02, p50_ms=4.18, p99_ms=24.32, errors=10, bytes_read=12_500_000
    )
    assert result.rps == pytest.approx(3025.95, abs=0.01)


def test_parse_output_without_figures_shows_what_wrk_said() -> None:
    with pytest.raises(WrkError, match="unable to connect"):
        parse_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_request_render_fills_counter_and_run() -> None:
    request = Request("POST", "/v2/subscribers/{n}", '{"subscriberId": "bench-{run}-{n}"}')
    assert request.varies
    assert request.render("r1", 7) == Request("POST", "/v2/subscribers/7", '{"subscriberId": "bench-r1-7"}')
    assert request.render("r1") == Request("POST", "/v2/subscribers/{n}", '{"subscriberId": "bench-r1-{n}"}')
    assert not Request("GET", "/v1/integrations").varies


# -- wrk for real -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wrk() -> str:
    try:
        return wrk_runner.ensure_wrk()
    except WrkError as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error}; CI is set, so the wrk tests may not be skipped")
        pytest.skip(str(error))


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, str | None, bytes]]] = []
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        if self.path.startswith("/drop"):
            self.close_connection = True
            return
        status = 404 if self.path.startswith("/missing") else 201
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_wrk_sends_the_request_with_a_fresh_counter_each_time(wrk, recorder) -> None:
    url, seen = recorder
    body = '{"subscriberId": "b-{run}-{n}", "note": "Zoë says \\"hi\\" \\\\ ok"}'
    result = wrk_runner.run(
        wrk, url, Request("POST", "/subscribers", body), {"Authorization": "ApiKey k"}, duration=1, connections=2
    )
    assert result.requests > 0 and result.errors == 0
    assert result.requests <= len(seen) <= result.requests + 2  # answers still in flight at the end
    assert {(method, path, auth) for method, path, auth, _ in seen} == {("POST", "/subscribers", "ApiKey k")}
    documents = [json.loads(raw) for *_, raw in seen]
    assert {d["note"] for d in documents} == {'Zoë says "hi" \\ ok'}
    ids = [d["subscriberId"] for d in documents]
    assert len(set(ids)) == len(ids)
    assert len({i.rsplit("-", 2)[1] for i in ids}) == 1 and all(i.rsplit("-", 1)[1].isdigit() for i in ids)
    assert 0 < result.p50_ms <= result.p99_ms
    assert result.bytes_per_answer >= len("HTTP/1.1 201 Created\r\n\r\n")


def test_wrk_counts_error_statuses(wrk, recorder) -> None:
    url, _ = recorder
    result = wrk_runner.run(wrk, url, Request("GET", "/missing"), {}, duration=1, connections=2)
    assert result.requests > 0
    assert result.errors == result.requests


def test_wrk_counts_socket_errors(wrk, recorder) -> None:
    url, seen = recorder
    result = wrk_runner.run(wrk, url, Request("GET", "/drop"), {}, duration=1, connections=2)
    assert seen and result.requests == 0 and result.errors > 0


def test_wrk_that_cannot_connect_is_an_error(wrk) -> None:
    with pytest.raises(WrkError, match="unable to connect"):
        wrk_runner.run(wrk, f"http://127.0.0.1:{free_port()}", Request("GET", "/"), {}, duration=1, connections=2)


# -- the request mix against the real mock ------------------------------------------------------


@pytest.fixture(scope="module")
def mock_url():
    # as in the benchmark: the token bucket stays in the path, its limit out of wrk's reach
    with running_mock(Settings(port=0, rate_limit_per_second=vs_prism.RATE_LIMIT)) as url:
        yield url


def test_every_row_of_the_mix_is_answered_2xx_by_the_mock(mock_url) -> None:
    mix = vs_prism.build_mix(mock_url)
    assert set(mix) == set(vs_prism.ROWS)
    assert vs_prism.check_requests("novu-mock", mock_url, mix, list(mix), keep_going=False) == {}


def test_check_requests_names_a_row_that_fails(mock_url) -> None:
    mix = {"get": Request("GET", "/v2/subscribers/nobody-has-this-id")}
    with pytest.raises(
        vs_prism.BenchError, match="get subscriber: GET /v2/subscribers/nobody-has-this-id answered 404"
    ):
        vs_prism.check_requests("novu-mock", mock_url, mix, ["get"], keep_going=False)
    failed = vs_prism.check_requests("novu-mock", mock_url, mix, ["get"], keep_going=True)
    assert list(failed) == ["get"] and "answered 404" in failed["get"]


def test_the_validation_probe_is_refused_by_the_mock(mock_url) -> None:
    status, _ = vs_prism.send_once(mock_url, vs_prism.INVALID)
    assert status == 422


def test_created_subscribers_under_wrk_are_all_new(wrk, mock_url) -> None:
    def count() -> int:
        return vs_prism._get_json(mock_url, "/v2/subscribers?limit=1")["totalCount"]

    before = count()
    mix = vs_prism.build_mix(mock_url)
    result = wrk_runner.run(wrk, mock_url, mix["create"], vs_prism.HEADERS, duration=1, connections=2)
    assert result.requests > 0 and result.errors == 0
    assert result.requests <= count() - before <= result.requests + 2


# -- processes and memory -----------------------------------------------------------------------

ALLOCATE = "import sys, time; block = b'x' * 60_000_000; print('ready', flush=True); time.sleep({})"


@contextlib.contextmanager
def _child_when_ready(code: str) -> Iterator[subprocess.Popen]:
    """A Python child running ``code``, once it printed ``ready``; killed afterwards."""
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout.readline() == "ready\n"
            yield child
        finally:
            child.kill()


def test_rss_includes_children() -> None:
    alone = rss_bytes(os.getpid())
    with _child_when_ready(ALLOCATE.format(30)) as child:
        assert rss_bytes(child.pid) >= 60_000_000
        assert rss_bytes(os.getpid()) - alone >= 55_000_000


def test_peak_rss_keeps_the_highest_sample() -> None:
    with PeakRss(os.getpid(), interval=0.02) as peak:
        subprocess.run([sys.executable, "-c", ALLOCATE.format(0.5)], stdout=subprocess.DEVNULL, check=True)
    assert peak.peak >= rss_bytes(os.getpid()) + 55_000_000


SERVE = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200 if self.headers.get('Authorization') == 'k' else 401)\n"
    "        self.end_headers()\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
)


def test_server_first_answer_and_stop(tmp_path) -> None:
    port = free_port()
    with running("tiny", [sys.executable, "-c", SERVE, str(port)], tmp_path / "tiny.log") as server:
        assert server.wait_first_answer(f"http://127.0.0.1:{port}/", {"Authorization": "k"}) > 0
    assert server.process.returncode is not None


def test_server_that_never_answers_2xx_is_reported(tmp_path) -> None:
    port = free_port()
    with (
        running("tiny", [sys.executable, "-c", SERVE, str(port)], tmp_path / "tiny.log") as server,
        pytest.raises(StartError, match="no 2xx answer"),
    ):
        server.wait_first_answer(f"http://127.0.0.1:{port}/", {"Authorization": "wrong"}, timeout=1)


def test_server_that_dies_is_reported_with_its_output(tmp_path) -> None:
    command = [sys.executable, "-c", "import sys; print('no spec here', flush=True); sys.exit(3)"]
    with (
        running("broken", command, tmp_path / "broken.log") as server,
        pytest.raises(StartError, match="(?s)exited with 3.*no spec here"),
    ):
        server.wait_first_answer(f"http://127.0.0.1:{free_port()}/", {})


ANSWER_ALL = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200)\n"
    "        self.end_headers()\n"
    "    def do_POST(self):\n"  # the benchmark's probe: a server that validates requests refuses {}
    "        self.send_response(422)\n"
    "        self.end_headers()\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
)


def test_rounds_start_the_servers_in_turns_and_keep_each_round(tmp_path, capsys) -> None:
    rig = vs_prism.Rig("wrk", (), (), tmp_path, 1.0, 0.0, 1, False, rounds=3)
    mix = {"integrations": Request("GET", "/v1/integrations")}
    servers = {name: (lambda port: [sys.executable, "-c", ANSWER_ALL, str(port)]) for name in ("first", "second")}
    figures, _ = vs_prism.measure_in_rounds(rig, servers, [], mix)
    starts = [line.split(":")[0] for line in capsys.readouterr().out.splitlines() if ", round " in line]
    assert starts == [
        "first, round 1 of 3",
        "second, round 1 of 3",
        "second, round 2 of 3",
        "first, round 2 of 3",
        "first, round 3 of 3",
        "second, round 3 of 3",
    ]
    for each in figures.values():
        assert len(each.rounds) == 3 and len(each.first_answers_s) == 3
        assert each.first_answer_s == sorted(each.first_answers_s)[1] > 0
        assert each.idle_rss == max(r.idle_rss for r in each.rounds) > 0
    assert sorted(log.name for log in tmp_path.iterdir()) == [
        f"{n}-round{k}.log" for n in ("first", "second") for k in (1, 2, 3)
    ]


def test_a_row_over_rounds_adds_up_throughput_and_takes_the_median_latency() -> None:
    rounds = [
        WrkResult(requests=5000, duration_s=1.0, p50_ms=2.0, p99_ms=9.0, errors=0, bytes_read=500),
        WrkResult(requests=3000, duration_s=1.0, p50_ms=3.0, p99_ms=4.0, errors=2, bytes_read=300),
        WrkResult(requests=4000, duration_s=2.0, p50_ms=1.0, p99_ms=5.0, errors=0, bytes_read=400),
    ]
    row = vs_prism.combined(rounds)
    assert row.rps == 12000 / 4.0
    assert (row.p50_ms, row.p99_ms) == (2.0, 5.0)
    assert row.errors == 2 and row.bytes_per_answer == 0.1


def test_summary_of_rounds_fails_a_row_that_failed_once_and_keeps_the_worst_memory() -> None:
    ok = WrkResult(requests=100, duration_s=1.0, p50_ms=1.0, p99_ms=2.0, errors=0)
    rounds = [
        vs_prism.Round(0.9, 80, 300, {"get": ok, "feed": ok}, {"get": 1.0, "feed": 0.0}, {"get": 100.0, "feed": 150.0}),
        vs_prism.Round(0.7, 95, 250, {"get": ok, "feed": "wrk died"}, {"get": 7.0}, {"get": 130.0}),
        vs_prism.Round(0.8, 85, 280, {"get": ok, "feed": ok}, {"get": 2.0, "feed": 0.0}, {"get": 110.0, "feed": 160.0}),
    ]
    figures = vs_prism.summarize(Figures(rounds=rounds), ["get", "feed", "trigger"])
    assert figures.first_answer_s == 0.8 and figures.idle_rss == 95 and figures.peak_rss == 300
    assert figures.rows["get"].requests == 300 and figures.steal["get"] == 7.0 and figures.cpu_us["get"] == 110.0
    assert figures.rows["feed"] == "wrk died" and figures.rows["trigger"] == "not run"


def test_rounds_option_needs_one_round_at_least(capsys) -> None:
    with pytest.raises(SystemExit):
        vs_prism.parse_args(["--rounds", "0"])
    assert "--rounds" in capsys.readouterr().err
    defaults = vs_prism.parse_args([])
    assert (defaults.rounds, defaults.duration) == (3, 5.0)


# -- the table and the targets ------------------------------------------------------------------


def _result(rps: float, p99: float = 2.0, errors: int = 0) -> WrkResult:
    return WrkResult(requests=int(rps * 10), duration_s=10.0, p50_ms=1.0, p99_ms=p99, errors=errors)


def _figures(rows: dict, first: float = 0.5, idle_mb: float = 60) -> Figures:
    return Figures(first_answer_s=first, idle_rss=int(idle_mb * 1_000_000), peak_rss=90_000_000, rows=rows)


ALL = list(vs_prism.ROWS)


def test_targets_met_at_the_limits() -> None:
    mock = _figures({row: _result(3000, p99=5.0) for row in ALL}, first=1.0, idle_mb=100)
    prism = _figures({row: _result(1000) for row in ALL}, first=3.0, idle_mb=170)
    assert missed_targets(mock, prism, ALL) == []


def test_each_missed_target_is_named_with_its_figure() -> None:
    mock = _figures(
        {
            "get": _result(2900),
            "patch": _result(5000, p99=5.01),
            "feed": _result(5000, errors=2),
            "trigger": "answered 500",
        },
        first=1.2,
        idle_mb=101,
    )
    prism = _figures({"get": _result(1000), "patch": _result(1000), "feed": "answered 422", "trigger": _result(100)})
    missed = missed_targets(mock, prism, ["get", "patch", "feed", "trigger"])
    assert missed == [
        "get subscriber: throughput 2900 req/s is 2.90x Prism's 1000 (target >= 3x)",
        "patch subscriber: p99 5.01 ms (target <= 5 ms)",
        "subscriber feed: novu-mock answered 2 of 50000 requests with an error",
        "subscriber feed: no Prism figures to compare throughput with (answered 422)",
        "trigger: no novu-mock figures (answered 500)",
        "first answer after 1.200 s (target <= 1 s)",
        "idle RSS 101.0 MB (target <= 100 MB)",
    ]


def test_only_the_chosen_rows_are_checked() -> None:
    mock = _figures({"get": _result(3000)})
    prism = _figures({"get": _result(1000)})
    assert missed_targets(mock, prism, ["get"]) == []
    assert missed_targets(mock, prism, ["get", "trigger"]) == ["trigger: no novu-mock figures (not run)"]


def test_table_has_a_line_per_row_with_ratios_and_the_resources() -> None:
    mock = _figures({"integrations": _result(4000, p99=2.0), "trigger": "answered 500"}, first=0.5, idle_mb=60)
    prism = _figures({"integrations": _result(1000, p99=8.0), "trigger": _result(700)}, first=2.0, idle_mb=150)
    table = render_table(mock, prism, ["integrations", "trigger"])
    integrations = next(line for line in table.splitlines() if line.startswith("list integrations"))
    cells = [cell.split() for cell in integrations.split("|")]
    assert cells == [
        ["list", "integrations"],
        ["4000", "1000", "4.00x"],
        ["1.00", "1.00", "1.00x"],
        ["2.00", "8.00", "4.00x"],
        ["0", "0"],
    ]
    trigger = next(line for line in table.splitlines() if line.startswith("trigger"))
    assert trigger.split("|")[1].split() == ["failed", "700", "-"]
    assert "time to first answer (s)        0.500      2.000    4.00x" in table
    assert "idle RSS (MB)                    60.0      150.0    2.50x" in table


def test_rows_option_rejects_unknown_rows(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        vs_prism.parse_args(["--rows", "get,everything"])
    assert exit_.value.code == 2
    assert "unknown everything" in capsys.readouterr().err
    assert vs_prism.parse_args(["--rows", "get, trigger"]).rows == ["get", "trigger"]


# -- CPU per answer and the machine's floor (benchmarks/floor.py) -------------------------------

BURN = (
    "import time\n"
    "start = time.process_time()\n"
    "while time.process_time() - start < 0.3: pass\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def test_cpu_seconds_counts_the_process_and_its_children() -> None:
    before = cpu_seconds(os.getpid())
    with _child_when_ready(BURN) as child:
        assert cpu_seconds(child.pid) >= 0.25
        assert cpu_seconds(os.getpid()) - before >= 0.25


def test_reference_app_reads_the_whole_body_and_spends_its_work_before_answering() -> None:
    chunks = [{"type": "http.request", "body": b'{"a":', "more_body": True}, {"type": "http.request", "body": b"1}"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return chunks.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    started = time.thread_time()
    asyncio.run(reference_app.make_app(20_000)({"type": "http"}, receive, send))
    assert time.thread_time() - started >= 0.02
    assert chunks == []
    assert sent[0]["status"] == 200 and (b"content-type", b"application/json") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"data": {"ok": True}}


def test_floor_loads_the_reference_app_and_reads_its_cpu_per_answer(wrk, tmp_path) -> None:
    rig = vs_prism.Rig(wrk, (), (), tmp_path, duration=1, warmup=0, connections=2, keep_going=False)
    result, cpu_us = floor.measure_cost(rig, sys.executable, 2000)
    assert result.requests > 0 and result.errors == 0
    assert cpu_us >= 2000  # every answer cost the app 2 ms of CPU, and the server stack more
    line = floor.render_line(2000, cpu_us, result)
    assert line.split()[0] == "2000" and line.split()[-1] == ("yes" if result.p99_ms <= 5 else "no")


@pytest.mark.parametrize("costs", ["a,b", "-5", ","])
def test_floor_rejects_costs_that_are_not_a_list_of_times(costs, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        floor.parse_args(["--work-us", costs])
    assert exited.value.code == 2
    assert "--work-us" in capsys.readouterr().err


def test_floor_line_says_whether_p99_is_within_the_target() -> None:
    slow = WrkResult(requests=1000, duration_s=1.0, p50_ms=3.0, p99_ms=5.5, errors=0)
    fast = WrkResult(requests=1000, duration_s=1.0, p50_ms=3.0, p99_ms=4.5, errors=0)
    assert floor.render_line(150, 214, slow).split() == ["150", "214", "1000", "3.00", "5.50", "1.83", "no"]
    assert floor.render_line(150, 214, fast).split()[-1] == "yes"
