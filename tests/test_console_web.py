"""The /console web app through real HTTP requests (Starlette test client on the real
app and database): staff sign-in with lockout, session timeout and TOTP, CSRF, secure
cookies, 州市 isolation (also by editing URLs), pages with data, exports, audit log."""

from __future__ import annotations

import io
import re
import ssl
import subprocess
import threading
import time

import httpx
import pyotp
import pytest
import sqlalchemy as sa
import test_office_tls
import uvicorn
from console_fixtures import KM, QJ, scenario
from openpyxl import load_workbook
from starlette.applications import Starlette

from zsapp.office import audit
from zsapp.office.console import auth
from zsapp.office.console.views import Console
from zsapp.office.server import ServerThread, free_port
from zsapp.office.service import Office

PASSWORD = "Yunnan-招商-2026!"
certs = test_office_tls.certs  # a throwaway CA and server certificate


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def office(tmp_path):
    o = Office(tmp_path / "office.sqlite3")
    o.init()
    yield o
    o.close()


@pytest.fixture
def ids(office):
    return scenario(office)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(office, clock):
    console = Console(office, clock=clock)
    staff = console.staff
    staff.add("sheng", PASSWORD, "province", display_name="省招商办督查处")
    staff.add("qujing", PASSWORD, "prefecture", QJ, display_name="曲靖市招商局")
    staff.add("kunming", PASSWORD, "prefecture", KM)
    admin = staff.add("admin", PASSWORD, "admin")
    web = Starlette(routes=console.routes())
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off")
    )
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.01)
    server.url = f"http://127.0.0.1:{server.config.port}"
    server.admin_secret = admin["totp_secret"]
    clients.clear()
    yield server
    for c in clients:
        c.close()
    server.should_exit = True
    thread.join(10)


clients: list[httpx.Client] = []


def client(app) -> httpx.Client:
    c = httpx.Client(base_url=app.url, follow_redirects=False, timeout=30)
    clients.append(c)
    return c


def login(app, username: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    c = client(app)
    page = c.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/console/login",
        data={
            "csrf": csrf,
            "username": username,
            "password": password,
            "next": "/console/overview",
        },
    )
    return c, r


def csrf_of(c: httpx.Client, path: str = "/console/stalled") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def test_pages_need_a_signed_in_account(app, ids):
    c = client(app)
    r = c.get("/console/projects?stage=签约")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?")
    assert c.get("/console/export?quarter=2022Q4&format=xlsx").status_code == 401


def test_sign_in_sets_a_strict_http_only_cookie_and_pages_render(app, ids):
    c, r = login(app, "sheng")
    assert r.status_code == 303 and r.headers["location"] == "/console/overview"
    cookie = next(
        h for h in r.headers.get_list("set-cookie") if h.startswith("zs_console=")
    ).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert "secure" not in cookie  # plain HTTP here; Secure under TLS (test_console_browser)
    pages = {
        "/console/overview?quarter=2022Q4": ["3.00", "昆明市", "3.60", "10亿元以上产业类项目"],
        "/console/projects": ["滇中新能源电池生产基地项目", "稀土新材料产业园", "共 6 个"],
        f"/console/projects/{ids['P4']}": [
            "大理州招商引资项目集体决策会议",
            "2022-12",
            "不符合本园区主导产业布局",
        ],
        "/console/stalled": ["咖啡精深加工", "继续推进"],
        "/console/transfers": ["稀土新材料产业园", "大理白族自治州", "未记录"],
        "/console/duplicates": ["91110000100001000A", "待裁定"],
        "/console/investors": ["京津冀", "世界500强", "成渝"],
    }
    for path, expected in pages.items():
        r = c.get(path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert "app;dur=" in r.headers["server-timing"]
        for text in expected:
            assert text in r.text, (path, text)
    # The quarter's province total: 25000 万元 = 2.50 亿元.
    assert "2.50" in c.get("/console/overview?quarter=2022Q4").text


def test_prefecture_account_sees_only_its_own_even_by_editing_urls(app, ids):
    c, r = login(app, "qujing")
    assert r.status_code == 303
    listed = c.get("/console/projects").text
    assert "QJ-2023-0001" in listed and "KM-2022-0001" not in listed
    # Asking for another 州市 by URL parameter gives nothing of it.
    assert "KM-2022-0001" not in c.get(f"/console/projects?prefecture={KM}").text
    assert "共 0 个" in c.get(f"/console/projects?prefecture={KM}").text
    # Another 州市's project by id: the same 404 as a project that does not exist.
    r = c.get(f"/console/projects/{ids['P1']}")
    assert r.status_code == 404 and "找不到该项目" in r.text and "滇中" not in r.text
    assert c.get("/console/projects/no-such-id").status_code == 404
    assert c.get(f"/console/projects/{ids['P3']}").status_code == 200
    overview = c.get("/console/overview?quarter=2022Q4").text
    assert "曲靖市" in overview and "昆明市" not in overview.split("各州市排名")[1]
    assert "咖啡精深加工" not in c.get("/console/stalled").text
    assert "稀土新材料产业园" in c.get("/console/transfers").text  # 曲靖 is the receiving side
    x = c.get("/console/export?quarter=2022Q4&format=xlsx")
    book = load_workbook(io.BytesIO(x.content))
    names = [row[1] for row in book["州市排名"].iter_rows(min_row=3, values_only=True)]
    assert names == ["曲靖市"]
    k, _ = login(app, "kunming")
    assert "咖啡精深加工" in k.get("/console/stalled").text
    assert k.get(f"/console/projects/{ids['P3']}").status_code == 404


def test_posts_need_the_sessions_csrf_token_and_a_province_account(app, ids, office):
    c, _ = login(app, "sheng")
    target = f"/console/stalled/{ids['P6']}"
    assert c.post(target, data={"status": "淘汰退出"}).status_code == 403
    _other, _ = login(app, "admin")  # a pending session has its own token
    assert c.post(target, data={"status": "淘汰退出", "csrf": "forged"}).status_code == 403
    token = csrf_of(c)
    r = c.post(
        target,
        data={
            "status": "限期整改",
            "deadline": "2026-12-31",
            "note": "督办",
            "csrf": token,
            "next": "/console/stalled",
        },
    )
    assert r.status_code == 303
    assert "限期整改（期限 2026-12-31）" in c.get("/console/stalled").text
    r = c.post(target, data={"status": "限期整改", "csrf": token})
    assert r.status_code == 400 and "整改期限" in r.text
    q, _ = login(app, "qujing")
    r = q.post(f"/console/stalled/{ids['P5']}", data={"status": "淘汰退出", "csrf": csrf_of(q)})
    assert r.status_code == 403 and "省级账号" in r.text
    # Transfer split and duplicate ruling from the pages change the 总览 figures.
    r = c.post(
        f"/console/transfers/{ids['T1']}/split",
        data={"from_funds_pct": "40", "from_credit_pct": "50", "csrf": token},
    )
    assert r.status_code == 303 and "40%" in c.get("/console/transfers").text
    r = c.post(
        "/console/transfers/x/split",
        data={"from_funds_pct": "abc", "from_credit_pct": "1", "csrf": token},
    )
    assert r.status_code == 400 and "百分比" in r.text
    r = c.post(
        "/console/duplicates/resolve",
        data={"a": ids["P1"], "b": ids["P5"], "resolution": "distinct", "csrf": token},
    )
    assert r.status_code == 303 and "不是重复" in c.get("/console/duplicates").text
    book = load_workbook(io.BytesIO(c.get("/console/export?quarter=2022Q4&format=xlsx").content))
    rows = {row[1]: row for row in book["州市排名"].iter_rows(min_row=3, values_only=True)}
    assert rows["曲靖市"][2] == 2.3 and rows["大理白族自治州"][2] == 0.3  # 万元 23000 / 3000
    with office.engine.connect() as conn:
        actions = [e["action"] for e in audit.read(conn)]
    assert {
        "console.rectify",
        "console.split",
        "console.duplicate",
        "console.csrf",
        "console.record",
    } <= set(actions)


def test_lockout_after_repeated_failures(app, ids, clock):
    for _ in range(auth.MAX_FAILURES):
        _c, r = login(app, "sheng", "wrong-Password-1")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    _c, r = login(app, "sheng")
    assert r.status_code == 401 and "锁定" in r.text
    clock.now += auth.LOCK_MINUTES * 60 + 1
    _c, r = login(app, "sheng")
    assert r.status_code == 303


def test_session_ends_after_30_idle_minutes(app, ids, clock):
    c, _ = login(app, "sheng")
    clock.now += 29 * 60
    assert c.get("/console/overview").status_code == 200  # activity keeps it alive
    clock.now += 29 * 60
    assert c.get("/console/investors").status_code == 200
    clock.now += 31 * 60
    r = c.get("/console/investors")
    assert r.status_code == 303 and "30" in r.headers["location"]


def test_administrators_need_a_totp_code_used_once(app, ids, clock):
    c, r = login(app, "admin")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/totp")
    r = c.get("/console/overview")  # not signed in yet: back to the code
    assert r.status_code == 303 and r.headers["location"] == "/console/totp"
    page = c.get("/console/totp")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/console/totp", data={"csrf": token, "code": "000000"})
    assert r.status_code == 401 and "动态口令不正确" in r.text
    code = pyotp.TOTP(app.admin_secret).at(clock.now)
    r = c.post("/console/totp", data={"csrf": token, "code": code, "next": "/console/duplicates"})
    assert r.status_code == 303 and r.headers["location"] == "/console/duplicates"
    assert c.get("/console/duplicates").status_code == 200
    # The same code cannot be replayed for another sign-in.
    c2, _ = login(app, "admin")
    token2 = re.search(r'name="csrf" value="([^"]+)"', c2.get("/console/totp").text).group(1)
    assert c2.post("/console/totp", data={"csrf": token2, "code": code}).status_code == 401


def test_bad_input_gets_a_chinese_4xx(app, ids):
    c, _ = login(app, "sheng")
    for path, status, text in (
        ("/console/overview?quarter=2026Q9", 400, "季度"),
        ("/console/stalled?days=abc", 400, "天数"),
        ("/console/projects?page=x", 400, "页码"),
        ("/console/projects?stage=胡说", 400, "阶段"),
        ("/console/export?quarter=2022Q4&format=doc", 400, "导出格式"),
    ):
        r = c.get(path)
        assert r.status_code == status and text in r.text, path
    login_page = client(app).get("/console/login?next=https://evil.example/")
    assert 'value="/console/overview"' in login_page.text  # no open redirect


def test_sign_ins_and_views_are_audited(app, ids, office):
    login(app, "nobody", "x")
    c, _ = login(app, "sheng")
    c.get(f"/console/projects/{ids['P1']}")
    with office.engine.connect() as conn:
        entries = audit.read(conn)
        assert audit.verify_chain(conn) is True
    logins = [(e["actor"], e["result"]) for e in entries if e["action"] == "console.login"]
    assert ("staff:nobody", "failed") in logins and ("staff:sheng", "ok") in logins
    views = [
        e["target"]
        for e in entries
        if e["action"] == "console.view" and e["actor"] == "staff:sheng"
    ]
    assert f"project:{ids['P1']}" in views


def test_password_rules():
    for weak, why in (
        ("short1A!", "12"),
        ("alllowercaseletters", "三类"),
        ("sheng-Password-2026", "用户名"),
    ):
        with pytest.raises(Exception, match=why):
            auth.check_password_rules(weak, "sheng")
    auth.check_password_rules(PASSWORD, "sheng")


def test_export_pdf_has_the_figures_and_embedded_font(app, ids, tmp_path):
    c, _ = login(app, "sheng")
    r = c.get("/console/export?quarter=2022Q4&format=pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / "r.pdf"
    path.write_bytes(r.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "全省招商引资督查通报（2022年第四季度）" in text
    assert "昆明市" in text and "稀土新材料产业园" in text and "3.6" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "WenQuanYiMicroHei" in fonts and " yes " in fonts  # the brochures' font, embedded


def test_sessions_table_keeps_only_hashes(app, ids, office):
    c, _r = login(app, "sheng")
    token = c.cookies.get("zs_console")
    with office.engine.connect() as conn:
        stored = [row.token_hash for row in conn.execute(sa.select(auth.sessions))]
    assert token not in stored and len(stored[0]) == 64


def test_cookie_is_secure_under_tls(office, certs):
    auth.Staff(office.engine).add("sheng", PASSWORD, "province")
    with ServerThread(
        office, tls_cert=certs / "server.pem", tls_key=certs / "server.key"
    ) as server:
        with httpx.Client(
            base_url=server.url,
            verify=ssl.create_default_context(cafile=str(certs / "ca.pem")),
            follow_redirects=False,
        ) as c:
            page = c.get("/console/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            r = c.post(
                "/console/login", data={"csrf": csrf, "username": "sheng", "password": PASSWORD}
            )
            cookie = next(
                h for h in r.headers.get_list("set-cookie") if h.startswith("zs_console=")
            )
            assert "secure" in cookie.lower() and "httponly" in cookie.lower()
            assert c.get("/console/overview").status_code == 200


def test_malformed_posts_get_a_4xx_not_a_500(app, ids):
    bad = {
        "content": b"\xff\xfe--x\r\n",
        "headers": {"content-type": "multipart/form-data; boundary=x"},
    }
    r = client(app).post("/console/login", **bad)
    assert r.status_code == 403 and "页面已过期" in r.text
    c, _ = login(app, "sheng")
    r = c.post(f"/console/stalled/{ids['P6']}", **bad)
    assert 400 <= r.status_code < 500 and "Traceback" not in r.text
