"""`planner serve [SCENARIO]`: the what-if page, served on this machine.

Owns the command's options and starting the server: the port is bound before anything else
(a port in use is exit 2 with a one-line message), the base round is solved once (a bad or
infeasible scenario ends here, exit 2 or 3, as `planner solve`), then uvicorn serves
`planner.web.create_app` on the bound socket. Listens on 127.0.0.1 unless ``--host`` says
otherwise, and says so; another address gets a warning (the page has no login).
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Optional

import typer

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
    open_browser: bool = typer.Option(False, "--open", help="open the page in the default browser"),
) -> None:
    """Serve the what-if page: change bounds, click 求解, compare what-ifs, download them (localhost only by default)."""
    from planner.cli._common import EXIT_INPUT, err, fail, run_guarded
    from planner.cli._messages import prefixed, say

    problems = []
    if not 0 <= port <= 65535:
        problems.append(say("serve_port", port=port))
    for name, value in (("--max-sessions", max_sessions), ("--max-whatifs", max_trials), ("--parallel", parallel)):
        if value < 1:
            problems.append(say("serve_whole", name=name, value=value))
    if time_limit <= 0:
        problems.append(say("serve_seconds", value=f"{time_limit:g}"))
    if not scenario.is_file():
        problems.append(say("serve_no_scenario", path=scenario))
    if problems:
        fail(problems, EXIT_INPUT)
    try:
        sock = bind(host, port)
    except OSError as exc:
        why = exc.strerror or str(exc)
        fail([say("serve_port_busy", port=port, host=host, why=why)], EXIT_INPUT)
    if host not in LOCAL:
        err.print(prefixed("warning", say("serve_open_host", host=host)), markup=False)
    try:
        from planner.web import Workspaces, create_app
        store = Workspaces(scenario, candidates=candidates, max_sessions=max_sessions, max_trials=max_trials,
                           parallel=parallel, time_limit_s=time_limit, workers=workers)
        err.print(say("serve_base", path=scenario), markup=False)
        run_guarded(store.reference)
        app = create_app(store, host=host)
    except BaseException:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    shown = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{bound}/"
    where = say("serve_local") if host in LOCAL else say("serve_listening", host=host)
    err.print(say("serve_page", url=url, where=where), markup=False)
    if open_browser:
        import webbrowser
        webbrowser.open(url)
    run_server(app, sock)


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
