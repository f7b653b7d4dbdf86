"""The what-if page of `planner serve`: a FastAPI app with Jinja2 templates and htmx.

Owns the routes and the page's safety. ``GET /`` shows the served round as it is — the rules
with their clause and bounds per group, editable, the base round's answer and "求解" — from
state that already exists, creating nothing. The first "求解" (a POST) makes a workspace (one
per browser tab: its id is in the address, so two tabs never share a session) and sends the
browser to ``/w/<id>/``. A solve posts the form; the answer is the result (headline, who
entered and left per locality, tier and task, binding changes, the audit's warnings) or the
refusal of a bad edit with the library's own message, or the conflict and relaxation advice of
an infeasible what-if. Every what-if stays in the workspace's list; any two can be compared;
each can be downloaded as scenario TOML, slate.xlsx and briefing.

Safe by construction: a GET never changes state (it never creates, drops or reorders a
workspace, never solves); a request that does is a POST, accepted only from the page itself —
its ``Origin`` (or ``Referer``, and ``Sec-Fetch-Site``) must be this server, and the form must
carry the token of the page it came from. Every request must name this server as its ``Host``
(a local name, the address it listens on, or, listening on every address, one of this
machine's names and addresses, or a name given with ``--allowed-host``): no DNS rebinding.

Every solve, comparison and download runs in a worker thread (`run_in_threadpool`): the event
loop never waits for CP-SAT. Without JavaScript the same form posts and the whole page comes
back. Does not own the workspaces (`workspaces`), the form (`edits`), the page's rows (`views`)
nor the files (`downloads`).
"""
from __future__ import annotations

import hmac
import json
import logging
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from planner.api import compare
from planner.errors import InputError, PlannerError, PolicyError
from planner.lang import say
from planner.web.downloads import briefing_html, disposition, file_stem, font_file, scenario_toml, slate_xlsx
from planner.web.edits import apply_edits, read_form
from planner.web.views import comparison_view, editor_sections, failure_view, headline, warnings_of
from planner.web.workspaces import Busy, Trial, Workspace, Workspaces

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
WILDCARD = ("0.0.0.0", "::", "")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> set[str]:
    """The names a request may give as its ``Host`` (without the port, lower case).

    Parameters
    ----------
    host : str
        The address the server listens on. A wildcard (``0.0.0.0``, ``::``) allows this
        machine's own names and addresses (`machine_names`), never any name.
    extra : iterable of str
        Further names people use to reach the page (``--allowed-host``).
    """
    names = {*LOCAL_HOSTS, *(h.strip().lower() for h in extra if h.strip())}
    names |= machine_names() if host in WILDCARD else {host.lower()}
    return {n.strip("[]") for n in names}


def machine_names() -> set[str]:
    """This machine's host name, full name and their addresses, and the address of its route
    out (found by a UDP socket that sends nothing); whatever cannot be found is left out."""
    names: set[str] = set()
    try:
        for name in {socket.gethostname(), socket.getfqdn()}:
            if name:
                names.add(name.lower())
                for info in socket.getaddrinfo(name, None):
                    names.add(str(info[4][0]).lower())
    except OSError:
        pass
    for family, probe in ((socket.AF_INET, ("192.0.2.1", 9)), (socket.AF_INET6, ("2001:db8::1", 9))):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect(probe)
                names.add(str(s.getsockname()[0]).lower())
        except OSError:
            pass
    return names


def host_of(header: str) -> str:
    """The host of a ``Host`` header or of an origin's netloc, without port or brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def cross_site(request: Request) -> bool:
    """True when a state-changing request did not come from this server's own page: its
    ``Sec-Fetch-Site`` says another site, or its ``Origin`` (else ``Referer``) is not this
    ``Host``. A request with neither (a script, an old browser) must still carry the token."""
    headers = request.headers
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return False
    if source == "null":
        return True
    return urlsplit(source).netloc.lower() != headers.get("host", "").lower()


def create_app(workspaces: Workspaces, *, host: str = "127.0.0.1", allowed: Iterable[str] = ()) -> FastAPI:
    """The what-if app over a set of workspaces (see `Workspaces` for the settings).

    Parameters
    ----------
    workspaces : Workspaces
        The served round and the bounded set of per-tab workspaces.
    host : str
        The address the server listens on: requests must name it (or a local name) as their
        Host, so a page elsewhere cannot reach this one by DNS rebinding; listening on every
        address, this machine's names and addresses (`allowed_hosts`).
    allowed : iterable of str
        Further host names the page may be reached by (``planner serve --allowed-host``).
    """
    app = FastAPI(title="planner 情景推演", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspaces = workspaces
    hosts = allowed_hosts(host, allowed)
    app.state.allowed_hosts = hosts

    @app.middleware("http")
    async def same_server(request: Request, call_next):
        if host_of(request.headers.get("host", "")) not in hosts:
            return PlainTextResponse(say("请求的主机名不是本服务器（为防止 DNS 重绑定，本页只接受本机地址）。",
                                         "the request's Host is not this server (DNS rebinding protection)."),
                                     status_code=400)
        if request.method not in SAFE_METHODS and cross_site(request):
            return PlainTextResponse(say("拒绝：这个请求来自其他网站，只有本页自己的表单可以求解或新建会话。",
                                         "refused: the request came from another site; only this page's own "
                                         "forms may solve or open a session."), status_code=403)
        return await call_next(request)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    store = workspaces

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"scenario": store.scenario, "host": host,
                                                          "local": host in LOCAL_HOSTS, "max_trials": store.max_trials,
                                                          "prefix": "", "trials": [], "ws": None, **context},
                                          status_code=status)

    def htmx(request: Request) -> bool:
        return request.headers.get("HX-Request") == "true"

    def missing(request: Request, what: str) -> HTMLResponse:
        return page(request, "gone.html", 404, what=what)

    def forbidden() -> PlainTextResponse:
        return PlainTextResponse(say("拒绝：表单缺少本页的令牌（页面可能已过期，请重新打开首页）。",
                                     "refused: the form lacks this page's token (reload the page)."), status_code=403)

    def token_ok(fields: dict[str, str], expected: str) -> bool:
        return hmac.compare_digest(fields.get("token", "").encode(), expected.encode())

    async def workspace_page(request: Request, ws: Workspace | None, *, shown: Trial | None = None,
                             problem: list[str] | None = None, status: int = 200) -> HTMLResponse:
        reference = await run_in_threadpool(store.reference)
        context = {"ws": ws, "trials": ws.trials if ws is not None else [store.base_trial()],
                   "prefix": f"/w/{ws.id}" if ws is not None else "",
                   "token": ws.token if ws is not None else store.token,
                   "sections": editor_sections(store.scenario, reference.rules, store.groups, store.labels,
                                               reference.ledger),
                   "problem": problem}
        if shown is not None:
            context.update(await run_in_threadpool(_result_context, store, ws, shown))
        return page(request, "page.html", status, **context)

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        return {str(k): str(v) for k, v in form.items()}

    @app.get("/", response_class=HTMLResponse)
    async def start(request: Request) -> Response:
        base = await run_in_threadpool(store.base_trial)
        return await workspace_page(request, None, shown=base)

    @app.post("/new")
    async def new(request: Request) -> Response:
        if not token_ok(await form_of(request), store.token):
            return forbidden()
        try:
            ws = store.create()
        except Busy as exc:
            return page(request, "gone.html", 503, what=say(f"服务器繁忙：{exc}", f"the server is busy: {exc}"))
        return RedirectResponse(f"/w/{ws.id}/", status_code=303)

    @app.post("/solve", response_class=HTMLResponse)
    async def first_solve(request: Request) -> Response:
        fields = await form_of(request)
        if not token_ok(fields, store.token):
            return forbidden()
        try:
            edits, note = read_form(fields, store.scenario, store.labels)
            if edits:
                await run_in_threadpool(apply_edits, store.scenario, edits, groups=store.groups, labels=store.labels)
        except (PolicyError, InputError) as exc:
            return await _refused(request, None, exc.lines())
        if not edits:
            return await _refused(request, None, [NO_CHANGE()])
        try:
            ws = store.create()
        except Busy as exc:
            return page(request, "gone.html", 503, what=say(f"服务器繁忙：{exc}", f"the server is busy: {exc}"))
        try:
            await run_in_threadpool(ws.solve, edits, note)
        except (PolicyError, InputError) as exc:
            return await _refused(request, ws, exc.lines())
        if htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": f"/w/{ws.id}/"})
        return RedirectResponse(f"/w/{ws.id}/", status_code=303)

    @app.get("/healthz")
    async def health() -> dict[str, Any]:
        return {"ok": True, "workspaces": len(store), "scenario": store.scenario.name}

    @app.get("/font/cjk")
    async def font() -> Response:
        path = await run_in_threadpool(font_file)
        return FileResponse(path, headers={"Cache-Control": "max-age=86400"})

    @app.get("/w/{wid}/", response_class=HTMLResponse)
    async def workspace(request: Request, wid: str) -> Response:
        ws = store.get(wid)
        if ws is None:
            return missing(request, say("这个会话已结束（服务器重启或会话数已满时最久未用的会话会被清理）",
                                        "this session has ended (a restart, or the least recently used one "
                                        "was dropped)"))
        latest = next((t for t in reversed(ws.trials)), None) or store.base_trial()
        return await workspace_page(request, ws, shown=latest)

    @app.post("/w/{wid}/solve", response_class=HTMLResponse)
    async def solve(request: Request, wid: str) -> Response:
        ws = store.get(wid, touch=True)
        if ws is None:
            return missing(request, ENDED())
        fields = await form_of(request)
        if not token_ok(fields, ws.token):
            return forbidden()
        try:
            edits, note = read_form(fields, store.scenario, store.labels)
            if not edits:
                return await _refused(request, ws, [NO_CHANGE()])
            trial = await run_in_threadpool(ws.solve, edits, note)
        except (PolicyError, InputError) as exc:
            return await _refused(request, ws, exc.lines())
        return await _answer(request, ws, trial)

    async def _refused(request: Request, ws: Workspace | None, lines: list[str]) -> HTMLResponse:
        if htmx(request):
            return page(request, "refused.html", 422, problem=lines)
        return await workspace_page(request, ws, shown=ws.trials[-1] if ws is not None and ws.trials else
                                    store.base_trial(), problem=lines, status=422)

    async def _answer(request: Request, ws: Workspace, trial: Trial) -> HTMLResponse:
        if not htmx(request):
            return await workspace_page(request, ws, shown=trial)
        context = await run_in_threadpool(_result_context, store, ws, trial)
        return page(request, "result.html", ws=ws, trials=ws.trials, prefix=f"/w/{ws.id}", oob=True, **context)

    def trial_of(wid: str | None, number: int) -> tuple[Workspace | None, Trial | None, str]:
        """The workspace and its what-if `number` (without a workspace: the base round only)."""
        if wid is None:
            return None, store.base_trial() if number == 0 else None, ""
        ws = store.get(wid)
        if ws is None:
            return None, None, ENDED()
        return ws, (store.base_trial() if number == 0 else ws.trial(number)), ""

    @app.get("/trial/{number}", response_class=HTMLResponse)
    @app.get("/w/{wid}/trial/{number}", response_class=HTMLResponse)
    async def show_trial(request: Request, number: int, wid: str | None = None) -> Response:
        ws, trial, ended = trial_of(wid, number)
        if trial is None:
            return missing(request, ended or say(f"没有方案{number}", f"no what-if {number}"))
        if not htmx(request):
            return await workspace_page(request, ws, shown=trial)
        context = await run_in_threadpool(_result_context, store, ws, trial)
        return page(request, "result.html", ws=ws, prefix=f"/w/{ws.id}" if ws else "", **context)

    @app.get("/w/{wid}/compare", response_class=HTMLResponse)
    async def compare_trials(request: Request, wid: str, a: int, b: int) -> Response:
        ws = store.get(wid)
        if ws is None:
            return missing(request, ENDED())
        ta, tb = ws.trial(a), ws.trial(b)
        if ta is None or tb is None:
            return missing(request, say(f"没有方案{a if ta is None else b}", f"no what-if {a if ta is None else b}"))
        if not (ta.ok and tb.ok):
            bad = ta if not ta.ok else tb
            return page(request, "refused.html", 422,
                        problem=[say(f"{bad.label}没有可行方案，无法比较", f"{bad.label} has no slate to compare")])
        view = await run_in_threadpool(lambda: comparison_view(compare(ta.result, tb.result,
                                                                       labels=(ta.label, tb.label)),
                                                               store.scenario, store.labels))
        return page(request, "compare.html", ws=ws, cmp=view, a=ta, b=tb)

    @app.get("/trial/{number}/{name}")
    @app.get("/w/{wid}/trial/{number}/{name}")
    async def download(request: Request, number: int, name: str, wid: str | None = None) -> Response:
        ws, trial, ended = trial_of(wid, number)
        if trial is None:
            return missing(request, ended or say("没有这个方案", "no such what-if"))
        stem = file_stem(trial, store.scenario.source)
        if name == "summary.json":
            return JSONResponse(_summary(trial))
        if name == "scenario.toml":
            body = await run_in_threadpool(scenario_toml, trial)
            return Response(body, media_type="application/toml; charset=utf-8",
                            headers={"Content-Disposition": disposition(f"{stem}.toml")})
        if not trial.ok:
            return page(request, "refused.html", 422, problem=[say(f"{trial.label}没有可行方案，没有名单可下载",
                                                                   f"{trial.label} has no slate to download")])
        try:
            if name == "slate.xlsx":
                body = await run_in_threadpool(slate_xlsx, trial)
                media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                filename = f"{stem}-slate.xlsx"
            elif name == "briefing.html":
                body = await run_in_threadpool(briefing_html, trial, store.base_trial())
                media, filename = "text/html; charset=utf-8", f"{stem}-briefing.html"
            else:
                return missing(request, say(f"没有文件 {name}", f"no file {name}"))
        except PlannerError as exc:
            return page(request, "refused.html", 500, problem=str(exc).splitlines())
        return Response(body, media_type=media, headers={"Content-Disposition": disposition(filename)})

    return app


def NO_CHANGE() -> str:       # noqa: N802 — a message made in the language of the request
    return say("没有改动：先在左侧改一个限额，再点“求解”。", "no change: edit a bound on the left, then click 求解.")


def ENDED() -> str:           # noqa: N802
    return say("这个会话已结束，请重新打开首页", "this session has ended; open the first page again")


def _result_context(store: Workspaces, ws: Workspace | None, trial: Trial) -> dict[str, Any]:
    """What result.html needs for one trial (runs in a worker thread: compare reads slates)."""
    base = store.base_trial()
    context: dict[str, Any] = {"trial": trial, "edits": list(trial.lines)}
    if trial.ok:
        context["head"] = headline(trial, base)
        context["warnings"] = warnings_of(trial)
        if base.ok and base is not trial:
            context["cmp"] = comparison_view(compare(base.result, trial.result, labels=(base.label, trial.label)),
                                             store.scenario, store.labels)
    else:
        context["failure"] = failure_view(trial, store.scenario, store.labels)
    return context


def _summary(trial: Trial) -> dict[str, Any]:
    """A what-if in machine form: its edits, status and selected candidates."""
    out: dict[str, Any] = {"number": trial.number, "label": trial.label, "note": trial.note,
                           "edits": [e.as_dict() for e in trial.edits], "seconds": round(trial.seconds, 4)}
    if trial.ok:
        s = trial.result.summary
        slate = trial.result.slate
        out.update(status=s["status"], n_selected=int(s["n_selected"]), n_national=int(s["n_national"]),
                   total_score=float(s["total_score"]), objective=float(s["objective"]),
                   selected=sorted(slate.loc[slate["selected"].astype(bool), "candidate_id"].astype(str)),
                   national=sorted(slate.loc[slate["national"].astype(bool), "candidate_id"].astype(str)),
                   whatif=s.get("whatif", {}), warnings=list(s.get("warnings", [])))
    else:
        out.update(status="INFEASIBLE" if trial.failure.kind == "infeasible" else "NO_SOLUTION",
                   message=trial.failure.message, conflict=trial.failure.lines, advice=trial.failure.advice)
    return json.loads(json.dumps(out, default=str))
