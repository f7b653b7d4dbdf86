"""The what-if page of `planner serve`: a FastAPI app with Jinja2 templates and htmx.

Owns the routes. ``/`` opens a new workspace (one per browser tab: its id is in the address,
so two tabs never share a session) and sends the browser to ``/w/<id>/``: the rules with their
clause and bounds per group, editable, and "求解". A solve posts the form; the answer is the
result (headline, who entered and left per locality, tier and task, binding changes, the
audit's warnings) or the refusal of a bad edit with the library's own message, or the conflict
and relaxation advice of an infeasible what-if. Every what-if stays in the workspace's list;
any two can be compared; each can be downloaded as scenario TOML, slate.xlsx and briefing.

Every solve, comparison and download runs in a worker thread (`run_in_threadpool`): the event
loop never waits for CP-SAT. Without JavaScript the same form posts and the whole page comes
back. Does not own the workspaces (`workspaces`), the form (`edits`), the page's rows (`views`)
nor the files (`downloads`).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from planner.api import compare
from planner.errors import InputError, PlannerError, PolicyError
from planner.web.downloads import briefing_html, disposition, file_stem, font_file, scenario_toml, slate_xlsx
from planner.web.edits import read_form
from planner.web.views import comparison_view, editor_sections, failure_view, headline, unit_names, warnings_of
from planner.web.workspaces import Busy, Trial, Workspace, Workspaces

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(workspaces: Workspaces, *, host: str = "127.0.0.1") -> FastAPI:
    """The what-if app over a set of workspaces (see `Workspaces` for the settings).

    Parameters
    ----------
    workspaces : Workspaces
        The served round and the bounded set of per-tab workspaces.
    host : str
        The address the server listens on: requests must name it (or a local name) as their
        Host, so a page elsewhere cannot reach this one by DNS rebinding.
    """
    app = FastAPI(title="planner 情景推演", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspaces = workspaces
    hosts = ["*"] if host in ("0.0.0.0", "::", "") else sorted({*LOCAL_HOSTS, host, "testserver"})
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    store = workspaces

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"scenario": store.scenario, "host": host,
                                                          "local": host in LOCAL_HOSTS, **context},
                                          status_code=status)

    def htmx(request: Request) -> bool:
        return request.headers.get("HX-Request") == "true"

    def missing(request: Request, what: str) -> HTMLResponse:
        return page(request, "gone.html", 404, what=what)

    async def workspace_page(request: Request, ws: Workspace, *, shown: Trial | None = None,
                             problem: list[str] | None = None, status: int = 200) -> HTMLResponse:
        reference = await run_in_threadpool(store.reference)
        context = {"ws": ws, "sections": editor_sections(store.scenario, reference.rules, store.groups,
                                                              unit_names(reference.slate)),
                   "problem": problem}
        if shown is not None:
            context.update(await run_in_threadpool(_result_context, ws, shown))
        return page(request, "page.html", status, **context)

    @app.get("/", response_class=HTMLResponse)
    async def start(request: Request) -> Response:
        try:
            ws = store.create()
        except Busy as exc:
            return page(request, "gone.html", 503, what=f"服务器繁忙：{exc}")
        await run_in_threadpool(store.reference)
        from starlette.background import BackgroundTask
        return RedirectResponse(f"/w/{ws.id}/", status_code=303, background=BackgroundTask(ws.base))

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
            return missing(request, "这个会话已结束（服务器重启或会话数已满时最久未用的会话会被清理）")
        latest = next((t for t in reversed(ws.trials)), None)
        return await workspace_page(request, ws, shown=latest)

    @app.post("/w/{wid}/solve", response_class=HTMLResponse)
    async def solve(request: Request, wid: str) -> Response:
        ws = store.get(wid)
        if ws is None:
            return missing(request, "这个会话已结束，请重新打开首页")
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        edits, note = read_form(fields, store.scenario)
        if not edits:
            lines = ["没有改动：先在左侧改一个限额，再点“求解”。 (no bound differs from the base scenario)"]
            return await _refused(request, ws, lines)
        try:
            trial = await run_in_threadpool(ws.solve, edits, note)
        except (PolicyError, InputError) as exc:
            return await _refused(request, ws, exc.lines())
        return await _answer(request, ws, trial)

    async def _refused(request: Request, ws: Workspace, lines: list[str]) -> HTMLResponse:
        if htmx(request):
            return page(request, "refused.html", 422, ws=ws, problem=lines)
        return await workspace_page(request, ws, problem=lines, status=422)

    async def _answer(request: Request, ws: Workspace, trial: Trial) -> HTMLResponse:
        if not htmx(request):
            return await workspace_page(request, ws, shown=trial)
        context = await run_in_threadpool(_result_context, ws, trial)
        return page(request, "result.html", ws=ws, oob=True, **context)

    @app.get("/w/{wid}/trial/{number}", response_class=HTMLResponse)
    async def show_trial(request: Request, wid: str, number: int) -> Response:
        ws = store.get(wid)
        if ws is None:
            return missing(request, "这个会话已结束，请重新打开首页")
        trial = await run_in_threadpool(ws.base) if number == 0 else ws.trial(number)
        if trial is None:
            return missing(request, f"没有方案{number}")
        return await _answer(request, ws, trial)

    @app.get("/w/{wid}/compare", response_class=HTMLResponse)
    async def compare_trials(request: Request, wid: str, a: int, b: int) -> Response:
        ws = store.get(wid)
        if ws is None:
            return missing(request, "这个会话已结束，请重新打开首页")
        ta, tb = ws.trial(a), ws.trial(b)
        if ta is None or tb is None:
            return missing(request, f"没有方案{a if ta is None else b}")
        if not (ta.ok and tb.ok):
            bad = ta if not ta.ok else tb
            return page(request, "refused.html", 422, ws=ws,
                        problem=[f"{bad.label}没有可行方案，无法比较"])
        view = await run_in_threadpool(lambda: comparison_view(compare(ta.result, tb.result,
                                                                       labels=(ta.label, tb.label))))
        return page(request, "compare.html", ws=ws, cmp=view, a=ta, b=tb)

    @app.get("/w/{wid}/trial/{number}/{name}")
    async def download(request: Request, wid: str, number: int, name: str) -> Response:
        ws = store.get(wid)
        trial = ws.trial(number) if ws is not None else None
        if trial is None:
            return missing(request, "没有这个方案")
        stem = file_stem(trial, store.scenario.source)
        if name == "summary.json":
            return JSONResponse(_summary(trial))
        if name == "scenario.toml":
            body = await run_in_threadpool(scenario_toml, trial)
            return Response(body, media_type="application/toml; charset=utf-8",
                            headers={"Content-Disposition": disposition(f"{stem}.toml")})
        if not trial.ok:
            return page(request, "refused.html", 422, ws=ws, problem=[f"{trial.label}没有可行方案，没有名单可下载"])
        try:
            if name == "slate.xlsx":
                body = await run_in_threadpool(slate_xlsx, trial)
                media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                filename = f"{stem}-slate.xlsx"
            elif name == "briefing.html":
                body = await run_in_threadpool(briefing_html, trial, ws.trial(0))
                media, filename = "text/html; charset=utf-8", f"{stem}-briefing.html"
            else:
                return missing(request, f"没有文件 {name}")
        except PlannerError as exc:
            return page(request, "refused.html", 500, ws=ws, problem=str(exc).splitlines())
        return Response(body, media_type=media, headers={"Content-Disposition": disposition(filename)})

    return app


def _result_context(ws: Workspace, trial: Trial) -> dict[str, Any]:
    """What result.html needs for one trial (runs in a worker thread: compare reads slates)."""
    base = ws.trial(0)
    context: dict[str, Any] = {"trial": trial, "edits": list(trial.lines)}
    if trial.ok:
        context["head"] = headline(trial, base)
        context["warnings"] = warnings_of(trial)
        if base is not None and base.ok and base is not trial:
            context["cmp"] = comparison_view(compare(base.result, trial.result, labels=(base.label, trial.label)))
    else:
        context["failure"] = failure_view(trial)
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
