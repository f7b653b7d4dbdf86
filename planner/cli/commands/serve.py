"""`planner serve [SCENARIO]`: the what-if page, served on this machine.

Owns the command's options and starting the server: the port is bound before anything else
(a port in use is exit 2 with a one-line message), the base round is solved once (a bad or
infeasible scenario ends here, exit 2 or 3, as `planner solve`), then uvicorn serves
`planner.web.create_app` on the bound socket. Listens on 127.0.0.1 unless ``--host`` says
otherwise, and says so; another address gets a warning (the page has no login). Every option is
checked before anything starts, as the other commands check theirs (a time limit that is not a
finite number of seconds > 0, negative workers: exit 2, one located line each, in Chinese).
"""
from __future__ import annotations

import math
import socket
from pathlib import Path
from typing import Optional

import typer

from planner.lang import say

LOCAL = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    app.command(name="serve")(serve)


def serve(
    scenario: Path = typer.Argument(Path("scenarios/jilin-2023.toml"), help="scenario TOML file (the base of every what-if)"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (default 127.0.0.1: this machine only)"),
    port: int = typer.Option(8000, "--port", help="port to listen on (0 = any free port)"),
    max_sessions: int = typer.Option(8, "--max-sessions", help="browser tabs served at once (the least recently used "
                                     "idle one is dropped)"),
    max_trials: int = typer.Option(20, "--max-whatifs", help="what-ifs kept per tab"),
    parallel: int = typer.Option(2, "--parallel", help="solves running at once across tabs"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="seconds for each solve"),
    workers: int = typer.Option(0, "--workers", help="CP-SAT workers per solve (0 = all cores)"),
    allowed_host: Optional[list[str]] = typer.Option(None, "--allowed-host", help="a further host name people "
                                                     "reach the page by (with --host 0.0.0.0; repeatable)"),
    open_browser: bool = typer.Option(False, "--open", help="open the page in the default browser"),
) -> None:
    """Serve the what-if page: change bounds, click 求解, compare what-ifs, download them (localhost only by default)."""
    from planner.cli._common import EXIT_INPUT, err, fail, run_guarded

    problems = option_problems(port=port, max_sessions=max_sessions, max_trials=max_trials, parallel=parallel,
                               time_limit=time_limit, workers=workers, allowed_hosts=allowed_host or [])
    if not scenario.is_file():
        problems.append(say(f"{scenario}：没有这个场景文件", f"{scenario}: no such scenario file"))
    if problems:
        fail(problems, EXIT_INPUT)
    try:
        sock = bind(host, port)
    except OSError as exc:
        why = exc.strerror or str(exc)
        fail([say(f"端口 {port} 无法使用（{host}）：{why} — 用 --port 换一个端口",
                  f"port {port} on {host} cannot be used: {why}; choose another with --port")], EXIT_INPUT)
    if host not in LOCAL:
        err.print(say(f"警告：--host {host} 使本页对其他计算机开放，而它没有登录保护；只在可信的网络里这样用。",
                      f"warning: --host {host} makes the page reachable from other machines; it has no login."),
                  markup=False)
    try:
        from planner.web import Workspaces, create_app
        store = Workspaces(scenario, candidates=candidates, max_sessions=max_sessions, max_trials=max_trials,
                           parallel=parallel, time_limit_s=time_limit, workers=workers)
        err.print(say(f"求解基准方案：{scenario}", f"solving the base round: {scenario}"), markup=False)
        run_guarded(store.reference)
        app = create_app(store, host=host, allowed=allowed_host or [])
    except BaseException:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    shown = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{bound}/"
    where = say("只在本机可访问", "localhost only") if host in LOCAL else \
        say(f"监听 {host}，其他计算机也可访问", f"listening on {host}, reachable from other machines")
    err.print(say(f"情景推演页面：{url}  {where}；Ctrl-C 结束", f"what-if page: {url}  {where}; Ctrl-C stops"),
              markup=False)
    if open_browser:
        import webbrowser
        webbrowser.open(url)
    run_server(app, sock)


def option_problems(*, port: int, max_sessions: int, max_trials: int, parallel: int, time_limit: float,
                    workers: int, allowed_hosts: list[str]) -> list[str]:
    """Every bad option value, one line each, as the other commands word theirs: found, expected.

    A time limit must be a finite number of seconds > 0 (a server with no limit, or ``nan``,
    would never answer), workers 0 (every core) or more, counts 1 or more, a port 0–65535.
    """
    problems = []
    if not 0 <= port <= 65535:
        problems.append(say(f"--port：发现 {port}，应为 0–65535 的端口号",
                            f"--port: found {port}, expected a port number 0–65535"))
    for name, value in (("--max-sessions", max_sessions), ("--max-whatifs", max_trials), ("--parallel", parallel)):
        if value < 1:
            problems.append(say(f"{name}：发现 {value}，应为 ≥ 1 的整数", f"{name}: found {value}, expected a whole number ≥ 1"))
    if not (math.isfinite(time_limit) and time_limit > 0):
        problems.append(say(f"--time-limit：发现 {time_limit:g}，应为大于 0 的有限秒数",
                            f"--time-limit: found {time_limit:g}, expected a finite number of seconds > 0"))
    if workers < 0:
        problems.append(say(f"--workers：发现 {workers}，应为 0（使用全部核心）或 ≥ 1 的整数",
                            f"--workers: found {workers}, expected 0 (every core) or a number of workers ≥ 1"))
    for name in allowed_hosts:
        if not name.strip() or any(c in name for c in "/ @") or name.count(":") == 1:
            problems.append(say(f"--allowed-host：发现 “{name}”，应为主机名或 IP 地址（不带端口）",
                                f'--allowed-host: found "{name}", expected a host name or IP address (no port)'))
    return problems


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), as uvicorn would open it.

    Raises
    ------
    OSError
        The address cannot be resolved or the port is in use.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def run_server(app, sock: socket.socket) -> None:
    """Serve `app` on `sock` until Ctrl-C (uvicorn)."""
    import uvicorn
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
