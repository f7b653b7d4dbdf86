"""`planner serve`: its options, the port check and what it says, run in this process (typer's CliRunner).

The server itself is replaced by a recorder (`run_server`), so no test here waits on a server;
the page is tested in tests/test_web.py, tests/test_web_browser.py and tests/test_web_load.py.
"""
from __future__ import annotations

import socket

import pytest
from conftest import row, write_csv

pytest.importorskip("fastapi")

SCENARIO = """\
name = "小轮次"
year = 2023
candidates = "candidates.csv"

[[rule]]
id = "cap"
clause = "三(三)"
text = "每地区不超过1个"
where = { task = "practice_centre" }
per = ["locality"]
max = 1
"""


@pytest.fixture(scope="module")
def invoke():
    from typer.testing import CliRunner

    from planner.cli import root as cli
    from planner.cli.commands import register_all
    register_all(cli.app)
    runner = CliRunner()
    return lambda *args, lang=None: runner.invoke(cli.app, [*(["--lang", lang] if lang else []), "serve",
                                                            *map(str, args)])


@pytest.fixture
def small(tmp_path):
    write_csv(tmp_path / "candidates.csv", [row("a1", score=90), row("a2", score=80)])
    path = tmp_path / "small.toml"
    path.write_text(SCENARIO, "utf-8")
    return path


@pytest.fixture
def served(monkeypatch):
    """Record what would be served instead of serving it."""
    from planner.cli.commands import serve
    calls = []

    def record(app, sock):
        calls.append((app, sock.getsockname()))
        sock.close()
    monkeypatch.setattr(serve, "run_server", record)
    return calls


def test_a_port_in_use_is_exit_2_with_a_message(invoke, small, served):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        done = invoke(small, "--port", port)
    finally:
        taken.close()
    assert done.exit_code == 2
    assert f"端口 {port} 无法使用" in done.output and "用 --port 换一个端口" in done.output
    assert "Traceback" not in done.output and served == []


def test_localhost_by_default_and_it_says_so(invoke, small, served):
    done = invoke(small, "--port", 0)
    assert done.exit_code == 0, done.output
    (app, (host, port)), = served
    assert host == "127.0.0.1" and port > 0
    assert f"http://127.0.0.1:{port}/" in done.output and "只在本机可访问" in done.output
    assert "警告" not in done.output
    assert app.state.workspaces.scenario.name == "小轮次"


def test_another_host_is_warned_about(invoke, small, served):
    done = invoke(small, "--port", 0, "--host", "0.0.0.0")
    assert done.exit_code == 0, done.output
    assert "警告：--host 0.0.0.0" in done.output and "没有登录保护" in done.output
    assert served[0][1][0] == "0.0.0.0"


def test_every_address_still_checks_the_host(invoke, small, served):
    # listening on 0.0.0.0, the page answers to local names, this machine's own names and
    # --allowed-host, never to any name (a DNS-rebinding page names its own)
    from fastapi.testclient import TestClient
    done = invoke(small, "--port", 0, "--host", "0.0.0.0", "--allowed-host", "planner.office.lan")
    assert done.exit_code == 0, done.output
    client = TestClient(served[0][0], base_url="http://127.0.0.1")
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/healthz", headers={"host": f"{socket.gethostname()}:8000"}).status_code == 200
    assert client.get("/healthz", headers={"host": "planner.office.lan"}).status_code == 200
    refused = client.get("/healthz", headers={"host": "evil.example:8000"})
    assert refused.status_code == 400 and "DNS 重绑定" in refused.text


@pytest.mark.parametrize("args, message", [
    (("--port", "70000"), "--port：发现 70000，应为 0–65535 的端口号"),
    (("--max-sessions", "0"), "--max-sessions：发现 0，应为 ≥ 1 的整数"),
    (("--parallel", "0"), "--parallel：发现 0，应为 ≥ 1 的整数"),
    (("--time-limit", "0"), "--time-limit：发现 0，应为大于 0 的有限秒数"),
    (("--time-limit", "nan"), "--time-limit：发现 nan，应为大于 0 的有限秒数"),     # spun at 80 % CPU, never served
    (("--time-limit", "inf"), "--time-limit：发现 inf，应为大于 0 的有限秒数"),
    (("--time-limit", "-1"), "--time-limit：发现 -1，应为大于 0 的有限秒数"),
    (("--workers", "-5"), "--workers：发现 -5，应为 0（使用全部核心）或 ≥ 1 的整数"),
    (("--allowed-host", "evil.example:80"), "--allowed-host：发现 “evil.example:80”，应为主机名或 IP 地址（不带端口）"),
])
def test_bad_options_are_exit_2(invoke, small, served, args, message):
    done = invoke(small, "--port", 0, *args)
    assert done.exit_code == 2 and message in done.output and served == []
    assert "Traceback" not in done.output and "求解基准方案" not in done.output      # refused before solving


def test_bad_options_in_english_on_request(invoke, small, served):
    from planner.cli._messages import set_language
    try:
        done = invoke(small, "--port", 0, "--workers", "-5", lang="en")
    finally:
        set_language("zh")                          # the terminal's language outlives one invocation
    assert done.exit_code == 2 and "--workers: found -5, expected 0 (every core)" in done.output


def test_a_missing_scenario_is_exit_2(invoke, tmp_path, served):
    done = invoke(tmp_path / "nope.toml", "--port", 0)
    assert done.exit_code == 2 and "nope.toml：没有这个场景文件" in done.output and served == []


def test_an_infeasible_base_is_exit_3_before_serving(invoke, small, served):
    small.write_text(SCENARIO + '\n[[rule]]\nid = "floor"\nclause = "三(三)"\ntext = "至少3个"\n'
                     'where = { task = "practice_centre" }\nmin = 3\n', "utf-8")
    done = invoke(small, "--port", 0)
    assert done.exit_code == 3 and served == []
    assert "Traceback" not in done.output
