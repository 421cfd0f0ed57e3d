"""The web console under /console: server-rendered pages (Jinja2), charts drawn by the
bundled Apache ECharts, staff sign-in with sessions, CSRF tokens and an audit entry for
every sign-in and view. Every query is scoped by the signed-in account (a 州市 account
sees only its 州市, whatever the URL says)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import markupsafe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from zsapp.office import reports_export as export
from zsapp.office import reports_figures as fig
from zsapp.office.console.auth import IDLE_MINUTES, SecondFactorPending, Staff
from zsapp.office.service import AuthError, Office, OfficeError

HERE = Path(__file__).resolve().parent
COOKIE = "zs_console"
LOGIN_COOKIE = "zs_console_login"
PAGE_SIZE = 50
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

NAV = (
    ("overview", "总览"),
    ("projects", "项目库"),
    ("stalled", "停滞项目"),
    ("transfers", "项目流转"),
    ("duplicates", "重复统计"),
    ("investors", "客商"),
)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yi"] = lambda wan: _yi(wan)
    env.filters["num"] = _num
    env.globals["prefecture_name"] = fig.prefecture_name
    # JSON for <script type="application/json">: "<" escaped so no "</script>" can close it.
    env.filters["tojson_safe"] = lambda v: markupsafe.Markup(
        json.dumps(v, ensure_ascii=False).replace("<", "\\u003c")
    )
    return env


def _yi(wan: Any) -> str:
    if wan is None or wan == "":
        return "—"
    value = float(wan) / 10000
    return f"{value:,.2f}"


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value):,}"


class Console:
    def __init__(
        self,
        office: Office,
        clock: Callable[[], float] = time.time,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.office = office
        self.staff = Staff(office.engine, clock)
        self.today = today
        self.env = _env()

    # -- plumbing -----------------------------------------------------------------------
    def render(self, name: str, request: Request, status: int = 200, **ctx: Any) -> Response:
        html = self.env.get_template(name).render(request=request, nav=NAV, **ctx)
        return HTMLResponse(html, status_code=status, headers=_headers())

    def _cookie(
        self, response: Response, request: Request, name: str, value: str, max_age: int | None
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/console",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def _audit(
        self,
        user: dict[str, Any] | None,
        action: str,
        target: str,
        result: str = "ok",
        detail: dict | None = None,
    ) -> None:
        from zsapp.office import audit

        with self.office.engine.begin() as conn:
            audit.record(
                conn,
                actor=f"staff:{user['username']}" if user else "staff:?",
                action=action,
                target=target[:300],
                result=result,
                detail=detail,
            )

    def page(self, handler, *, post: bool = False, record: bool = False):
        """Wrap a sync handler(request, user, form) -> Response: session check (redirect
        to sign-in), CSRF on POST, audit of the view, Server-Timing header."""

        async def run(request: Request) -> Response:
            started = time.perf_counter()
            form = None
            if request.method == "POST":
                try:
                    form = dict(await request.form())
                except Exception:
                    return self._error(request, None, 400, "请求内容无法解析")
            token = request.cookies.get(COOKIE)
            try:
                user = await run_in_threadpool(self.staff.session, token)
            except SecondFactorPending:
                return RedirectResponse("/console/totp", status_code=303)
            except AuthError as exc:
                if request.method == "GET" and not request.url.path.startswith("/console/export"):
                    nxt = request.url.path + (
                        ("?" + request.url.query) if request.url.query else ""
                    )
                    return RedirectResponse(
                        "/console/login?" + urlencode({"msg": str(exc), "next": nxt}),
                        status_code=303,
                    )
                return self._error(request, None, 401, str(exc))
            if request.method == "POST":
                if not form or not _same(form.get("csrf", ""), user["csrf"]):
                    await run_in_threadpool(
                        self._audit, user, "console.csrf", request.url.path, "refused"
                    )
                    return self._error(
                        request,
                        user,
                        403,
                        "页面已过期或请求来源不明（CSRF 校验失败），请刷新后重试",
                    )
                if record and not user["can_record"]:
                    await run_in_threadpool(
                        self._audit, user, "console.record", request.url.path, "refused"
                    )
                    return self._error(request, user, 403, "只有省级账号可以记录省招商办的决定")
            try:
                response = await run_in_threadpool(handler, request, user, form)
            except OfficeError as exc:
                response = self._error(request, user, getattr(exc, "status", 400), str(exc))
            ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
            return response

        return run

    def _error(self, request: Request, user, status: int, message: str) -> Response:
        return self.render(
            "error.html", request, status=status, user=user, message=message, active=""
        )

    # -- sign-in -------------------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        if request.method == "POST":
            form = await _form(request)
            if not _same(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
                return self._login_form(request, "页面已过期，请重新输入", 403)
            try:
                result = await run_in_threadpool(
                    self.staff.login,
                    str(form.get("username", ""))[:64],
                    str(form.get("password", ""))[:200],
                )
            except AuthError as exc:
                return self._login_form(request, str(exc), 401)
            nxt = _safe_next(str(form.get("next", "")))
            target = "/console/totp?" + urlencode({"next": nxt}) if result["needs_totp"] else nxt
            response = RedirectResponse(target, status_code=303)
            self._cookie(response, request, COOKIE, result["token"], None)
            response.delete_cookie(LOGIN_COOKIE, path="/console")
            return response
        return self._login_form(request, request.query_params.get("msg", ""), 200)

    def _login_form(self, request: Request, message: str, status: int) -> Response:
        import secrets

        csrf = secrets.token_urlsafe(24)
        response = self.render(
            "login.html",
            request,
            status=status,
            user=None,
            active="",
            message=message,
            csrf=csrf,
            next=_safe_next(request.query_params.get("next", "")),
            idle=IDLE_MINUTES,
        )
        self._cookie(response, request, LOGIN_COOKIE, csrf, 600)
        return response

    async def totp_page(self, request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        try:
            csrf = await run_in_threadpool(self.staff.pending_csrf, token)
        except AuthError as exc:
            return RedirectResponse(
                "/console/login?" + urlencode({"msg": str(exc)}), status_code=303
            )
        assert token is not None  # pending_csrf refuses a missing cookie
        nxt = _safe_next(request.query_params.get("next", ""))
        message = ""
        if request.method == "POST":
            form = await _form(request)
            if not _same(form.get("csrf", ""), csrf):
                message = "页面已过期，请重新输入"
            else:
                try:
                    await run_in_threadpool(
                        self.staff.verify_totp, token, str(form.get("code", ""))[:12]
                    )
                    return RedirectResponse(_safe_next(str(form.get("next", ""))), status_code=303)
                except AuthError as exc:
                    message = str(exc)
                    if "锁定" in message:
                        return RedirectResponse(
                            "/console/login?" + urlencode({"msg": message}), status_code=303
                        )
        return self.render(
            "totp.html",
            request,
            status=401 if message else 200,
            user=None,
            active="",
            message=message,
            csrf=csrf,
            next=nxt,
        )

    def logout(self, request: Request, user, form) -> Response:
        self.staff.logout(request.cookies.get(COOKIE))
        self._audit(user, "console.logout", "")
        response = RedirectResponse("/console/login?msg=" + "已退出", status_code=303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    # -- pages ---------------------------------------------------------------------------
    def _scope(self, user) -> fig.Scope:
        return fig.Scope(user["prefecture_code"] if user["role"] == "prefecture" else None)

    def _quarter(self, request: Request) -> fig.Quarter:
        text = request.query_params.get("quarter", "")
        return fig.parse_quarter(text) if text else fig.current_quarter(self.today())

    def overview(self, request: Request, user, form) -> Response:
        quarter = self._quarter(request)
        scope = self._scope(user)
        with self.office.engine.connect() as conn:
            data = fig.overview(conn, quarter, scope)
        self._audit(user, "console.view", "overview", detail={"quarter": quarter.label})
        chart = {
            "quarters": data["quarters"],
            "funds": [round(v / 10000, 2) for v in data["targets"][0]["by_quarter"]],
            "funds_cum": [round(v / 10000, 2) for v in data["targets"][0]["cumulative_by_quarter"]],
            "gongye": [round(v / 10000, 2) for v in data["targets"][1]["by_quarter"]],
            "big_cum": data["targets"][2]["cumulative_by_quarter"],
            "target": fig.TARGETS["funds_wan"] / 10000,
            "prefectures": [p["name"] for p in data["prefectures"]],
            "pref_funds": [round(p["funds_wan"] / 10000, 2) for p in data["prefectures"]],
        }
        return self.render(
            "overview.html",
            request,
            user=user,
            active="overview",
            data=data,
            chart=chart,
            quarter=quarter,
        )

    def _project_query(self, request: Request, user) -> fig.ProjectQuery:
        q = request.query_params
        try:
            page = max(1, int(q.get("page", "1") or 1))
            days = max(1, min(int(q.get("days", "90") or 90), 3650))
        except ValueError:
            raise OfficeError("页码或天数应为整数") from None
        stage = q.get("stage", "")
        if stage and stage not in fig.STAGES:
            raise OfficeError(f"未知的阶段“{stage}”")
        return fig.ProjectQuery(
            prefecture=q.get("prefecture", "")[:12],
            industry=q.get("industry", "")[:12],
            stage=stage,
            big=q.get("big") == "1",
            major=q.get("major") == "1",
            stalled=q.get("stalled") == "1",
            text=q.get("q", "")[:100],
            stalled_days=days,
            today=self.today(),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )

    def projects(self, request: Request, user, form) -> Response:
        query = self._project_query(request, user)
        scope = self._scope(user)
        with self.office.engine.connect() as conn:
            data = fig.project_list(conn, scope, query)
        self._audit(user, "console.view", "projects", detail=dict(request.query_params.items()))
        page = query.offset // PAGE_SIZE + 1
        params = {k: v for k, v in request.query_params.items() if k != "page"}
        return self.render(
            "projects.html",
            request,
            user=user,
            active="projects",
            data=data,
            query=query,
            page=page,
            pages=max(1, -(-data["total"] // PAGE_SIZE)),
            params=params,
            qs=lambda **kw: urlencode({**params, **dict(kw.items())}),
            prefectures=fig.prefectures()
            if scope.prefecture is None
            else [p for p in fig.prefectures() if p["code"] == scope.prefecture],
            industries=fig.industries(),
            stages=fig.STAGES,
        )

    def project(self, request: Request, user, form) -> Response:
        pid = request.path_params["pid"][:64]
        with self.office.engine.connect() as conn:
            data = fig.project_detail(conn, self._scope(user), pid)
        if data is None:
            # Same answer for "no such project" and "another 州市's project": nothing leaks.
            self._audit(user, "console.view", f"project:{pid}", result="not_found")
            return self._error(request, user, 404, "找不到该项目，或该项目不属于本账号可查看的州市")
        self._audit(user, "console.view", f"project:{pid}")
        chart = {
            "months": [f["month"] for f in data["funds"]],
            "funds": [round(f["counted_wan"] / 10000, 4) for f in data["funds"]],
        }
        return self.render(
            "project.html",
            request,
            user=user,
            active="projects",
            p=data,
            chart=chart,
            statuses=fig.r.RECTIFY_STATUSES,
        )

    def stalled(self, request: Request, user, form) -> Response:
        try:
            days = max(1, min(int(request.query_params.get("days", "90") or 90), 3650))
        except ValueError:
            raise OfficeError("天数应为整数") from None
        with self.office.engine.connect() as conn:
            data = fig.stalled(conn, self._scope(user), days, self.today())
        self._audit(user, "console.view", "stalled", detail={"days": days})
        chart = {
            "names": [x["name"] for x in data["by_prefecture"]],
            "counts": [x["count"] for x in data["by_prefecture"]],
        }
        return self.render(
            "stalled.html",
            request,
            user=user,
            active="stalled",
            data=data,
            chart=chart,
            statuses=fig.r.RECTIFY_STATUSES,
        )

    def record_rectification(self, request: Request, user, form) -> Response:
        pid = request.path_params["pid"][:64]
        with self.office.engine.begin() as conn:
            fig.set_rectification(
                conn,
                pid,
                str(form.get("status", "")),
                note=str(form.get("note", "")),
                deadline=str(form.get("deadline", "")).strip(),
                by=user["username"],
            )
            from zsapp.office import audit

            audit.record(
                conn,
                actor=f"staff:{user['username']}",
                action="console.rectify",
                target=pid,
                detail={"status": form.get("status")},
            )
        return RedirectResponse(
            _safe_next(str(form.get("next", "")) or "/console/stalled"), status_code=303
        )

    def transfers(self, request: Request, user, form) -> Response:
        with self.office.engine.connect() as conn:
            rows = fig.transfers(conn, self._scope(user))
        self._audit(user, "console.view", "transfers")
        return self.render("transfers.html", request, user=user, active="transfers", rows=rows)

    def record_split(self, request: Request, user, form) -> Response:
        tid = request.path_params["tid"][:64]
        try:
            funds_pct = int(str(form.get("from_funds_pct", "")).strip())
            credit_pct = int(str(form.get("from_credit_pct", "")).strip())
        except ValueError:
            raise OfficeError("分成比例应为 0 到 100 之间的整数（百分比）") from None
        with self.office.engine.begin() as conn:
            fig.set_split(
                conn,
                tid,
                funds_pct,
                credit_pct,
                note=str(form.get("note", "")),
                by=user["username"],
            )
            from zsapp.office import audit

            audit.record(
                conn,
                actor=f"staff:{user['username']}",
                action="console.split",
                target=tid,
                detail={"funds": funds_pct, "credit": credit_pct},
            )
        return RedirectResponse("/console/transfers", status_code=303)

    def duplicates(self, request: Request, user, form) -> Response:
        with self.office.engine.connect() as conn:
            rows = fig.duplicates(conn, self._scope(user))
        self._audit(user, "console.view", "duplicates")
        return self.render(
            "duplicates.html",
            request,
            user=user,
            active="duplicates",
            rows=rows,
            resolutions=fig.r.DUP_RESOLUTIONS,
        )

    def resolve_duplicate(self, request: Request, user, form) -> Response:
        a, b = str(form.get("a", ""))[:64], str(form.get("b", ""))[:64]
        with self.office.engine.begin() as conn:
            fig.resolve_duplicate(
                conn,
                a,
                b,
                str(form.get("resolution", "")),
                note=str(form.get("note", "")),
                by=user["username"],
            )
            from zsapp.office import audit

            audit.record(
                conn,
                actor=f"staff:{user['username']}",
                action="console.duplicate",
                target=f"{a}:{b}",
                detail={"resolution": form.get("resolution")},
            )
        return RedirectResponse("/console/duplicates", status_code=303)

    def investors(self, request: Request, user, form) -> Response:
        with self.office.engine.connect() as conn:
            data = fig.investors(conn)
        self._audit(user, "console.view", "investors")
        chart = {
            "regions": [g["region"] for g in data["regions"]],
            **{
                k: [g[k] for g in data["regions"]]
                for k in ("fortune500", "central", "specialized", "dishonest")
            },
        }
        return self.render(
            "investors.html", request, user=user, active="investors", data=data, chart=chart
        )

    def export(self, request: Request, user, form) -> Response:
        quarter = self._quarter(request)
        kind = request.query_params.get("format", "xlsx")
        if kind not in ("xlsx", "pdf"):
            raise OfficeError("导出格式应为 xlsx 或 pdf")
        with self.office.engine.connect() as conn:
            report = export.collect(conn, quarter, self._scope(user), today=self.today())
        body = export.to_xlsx(report) if kind == "xlsx" else export.to_pdf(report)
        self._audit(user, "console.export", f"{quarter.label}.{kind}")
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if kind == "xlsx"
            else "application/pdf"
        )
        name = f"督查通报-{quarter.label}.{kind}"
        from urllib.parse import quote

        headers = {
            **_headers(),
            "Content-Disposition": f"attachment; filename=\"report-{quarter.label}.{kind}\"; filename*=UTF-8''{quote(name)}",
        }
        return Response(body, media_type=media, headers=headers)

    async def font(self, request: Request) -> Response:
        """The brochures' bundled CJK font, so every browser shows the same glyphs (an
        office PC or a server without Chinese fonts included; no web font CDN)."""
        body = await run_in_threadpool(_web_font)
        return Response(body, media_type="font/ttf", headers={"Cache-Control": "max-age=86400"})

    def root(self, request: Request) -> Response:
        return RedirectResponse("/console/overview", status_code=303)

    # -- routes ---------------------------------------------------------------------------
    def routes(self) -> list:
        page = self.page
        return [
            Route("/console", self.root),
            Route("/console/", self.root),
            Route("/console/login", self.login_page, methods=["GET", "POST"]),
            Route("/console/totp", self.totp_page, methods=["GET", "POST"]),
            Route("/console/logout", page(self.logout, post=True), methods=["POST"]),
            Route("/console/overview", page(self.overview)),
            Route("/console/projects", page(self.projects)),
            Route("/console/projects/{pid}", page(self.project)),
            Route("/console/stalled", page(self.stalled)),
            Route(
                "/console/stalled/{pid}",
                page(self.record_rectification, post=True, record=True),
                methods=["POST"],
            ),
            Route("/console/transfers", page(self.transfers)),
            Route(
                "/console/transfers/{tid}/split",
                page(self.record_split, post=True, record=True),
                methods=["POST"],
            ),
            Route("/console/duplicates", page(self.duplicates)),
            Route(
                "/console/duplicates/resolve",
                page(self.resolve_duplicate, post=True, record=True),
                methods=["POST"],
            ),
            Route("/console/investors", page(self.investors)),
            Route("/console/export", page(self.export)),
            Route("/console/font/wqy-microhei.ttf", self.font),
            Mount(
                "/console/static",
                StaticFiles(directory=str(HERE / "static")),
                name="console-static",
            ),
        ]


@functools.cache
def _web_font() -> bytes:
    """The first face of the bundled WQY Micro Hei collection as a plain TrueType file
    (browsers' font sanitiser rejects the collection's misaligned FFTM table)."""
    from fontTools.ttLib import TTFont

    from zsapp.brochure.fonts import primary_font_path

    font = TTFont(str(primary_font_path()), fontNumber=0, lazy=False)
    if "FFTM" in font:
        del font["FFTM"]
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


async def _form(request: Request) -> dict[str, Any]:
    """The posted form, or {} when the body cannot be parsed (then the CSRF check fails
    with a clear message instead of a 500)."""
    try:
        return dict(await request.form())
    except Exception:
        return {}


def _same(a: Any, b: Any) -> bool:
    import hmac

    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def _safe_next(nxt: str) -> str:
    """Only a local console path (no open redirect)."""
    if (
        nxt.startswith("/console/")
        and not nxt.startswith("//")
        and "\\" not in nxt
        and "/console/login" not in nxt
    ):
        return nxt
    return "/console/overview"


def routes(office: Office) -> list:
    return Console(office).routes()
