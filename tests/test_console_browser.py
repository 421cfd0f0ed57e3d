"""The console in a real browser: Debian's chromium driven by Playwright (no browser
download), against the real office server on loopback. Signs in (with TOTP for the
administrator), renders every page with data, checks a chart really drew (canvas pixels),
uses the filters, downloads both exports and opens them, checks a 州市 account cannot
reach another 州市's projects (also by editing URLs), and that pages fit 1366×768 and
print without the navigation. Saves docs/console-*.png."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import pyotp
import pytest
from console_fixtures import KM, FieldDevice, company, project, scenario
from openpyxl import load_workbook
from playwright import sync_api as playwright_api

from zsapp.office.console.auth import Staff
from zsapp.office.server import ServerThread
from zsapp.office.service import Office

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots go to a temporary directory; ZSAPP_CONSOLE_SHOTS=docs refreshes docs/console-*.png.
SHOTS = os.environ.get("ZSAPP_CONSOLE_SHOTS", "")
PASSWORD = "Yunnan-招商-2026!"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium 未安装（apt-get install chromium）"
)


def _more_projects(office: Office) -> None:
    """A few dozen more projects across the 州市 so the pages look like a province."""
    rng = random.Random(15)
    prefs = [
        "530100",
        "530300",
        "530400",
        "530500",
        "530600",
        "532300",
        "532500",
        "532800",
        "532900",
        "533100",
    ]
    units = {
        "530100": "昆明市",
        "530300": "曲靖市",
        "530400": "玉溪市",
        "530500": "保山市",
        "530600": "昭通市",
        "532300": "楚雄州",
        "532500": "红河州",
        "532800": "西双版纳州",
        "532900": "大理州",
        "533100": "德宏州",
    }
    names = [
        "绿色铝精深加工",
        "光伏组件",
        "新能源电池",
        "咖啡精深加工",
        "生物医药产业园",
        "数字经济产业园",
        "冷链物流中心",
        "文旅康养小镇",
        "稀贵金属新材料",
        "高原特色农业",
    ]
    items = [
        "I02-01",
        "I03-01",
        "I04-01",
        "I01-03",
        "I07-01",
        "I08-01",
        "I10-01",
        "I09-01",
        "I06-01",
        "I01-01",
    ]
    for pref in prefs:
        dev = FieldDevice(office, units[pref])
        firm = company(
            dev,
            f"{units[pref][:2]}投资集团",
            f"9153{pref}{rng.randrange(10**8):08d}X",
            f500=rng.random() < 0.4,
            ownership=rng.choice(["央企", "民营", "外资"]),
            region=rng.choice(["长三角", "粤港澳大湾区", "京津冀", "成渝"]),
            province=rng.choice(["上海市", "广东省", "北京市", "四川省"]),
            giant=rng.random() < 0.3,
        )
        for i in range(rng.randrange(2, 6)):
            k = rng.randrange(len(names))
            year = rng.choice([2022, 2023, 2024])
            funds = tuple(
                (f"{year}-{m:02d}", rng.randrange(5_000, 80_000), 1, 1)
                for m in sorted(rng.sample(range(1, 13), 3))
            )
            project(
                dev,
                code=f"X{pref[2:4]}-{year}-{i:04d}",
                name=f"{units[pref][:2]}{names[k]}项目",
                pref=pref,
                wan=rng.choice([50_000, 120_000, 300_000]),
                items=(items[k],),
                stages=(("签约", f"{year}-0{rng.randrange(1, 10)}-15"),),
                funds=funds,
                investors=(firm,),
            )
        dev.push()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    office = Office(tmp_path_factory.mktemp("console") / "office.sqlite3")
    office.init()
    ids = scenario(office)
    _more_projects(office)
    staff = Staff(office.engine)
    admin = staff.add("admin", PASSWORD, "admin", display_name="省招商办管理员")
    staff.add("qujing", PASSWORD, "prefecture", "530300", display_name="曲靖市招商局")
    with ServerThread(office) as server:
        yield {"url": server.url, "ids": ids, "totp": admin["totp_secret"], "office": office}
    office.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _context(browser, shots: Path, **kw):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", **kw)
    context.shots = shots
    return context


def _sign_in(browser, site, username: str, shots: Path):
    context = _context(browser, shots, accept_downloads=True)
    page = context.new_page()
    page.goto(site["url"] + "/console/overview")
    assert "/console/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    if username == "admin":
        page.wait_for_url(re.compile(r"/console/totp"))
        page.fill("input[name=code]", pyotp.TOTP(site["totp"]).now())
        page.click("#totp button[type=submit]")
    page.wait_for_url(re.compile(r"/console/overview"))
    return context, page


def _chart_pixels(page, selector: str) -> int:
    """Non-blank pixels drawn on the chart's canvas."""
    page.wait_for_selector("body[data-charts=ready]")
    return page.evaluate(
        """(sel) => {
            const canvas = document.querySelector(sel + ' canvas');
            if (!canvas) return -1;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i + 3] > 0 && (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240)) n++;
            }
            return n;
        }""",
        selector,
    )


def _fits_1366(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 1366


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return Path(SHOTS) if SHOTS else tmp_path_factory.mktemp("shots")


def _shot(page, name: str) -> None:
    folder = Path(page.context.shots)
    folder.mkdir(exist_ok=True)
    assert _fits_1366(page), f"{name} needs horizontal scrolling at 1366 px"
    path = folder / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_administrator_pages_charts_filters_and_exports(browser, site, tmp_path, shots):
    context, page = _sign_in(browser, site, "admin", shots)
    try:
        page.goto(site["url"] + "/console/overview?quarter=2024Q4")
        assert page.locator("#prefecture-table tbody tr").count() >= 10
        assert "昆明市" in page.inner_text("#prefecture-table")
        red_bars = _chart_pixels(page, "#chart-quarters")
        assert red_bars > 2000, red_bars
        assert _chart_pixels(page, "#chart-prefectures") > 2000
        assert _fits_1366(page)
        _shot(page, "overview")
        # Print: navigation and buttons hidden, charts kept.
        page.emulate_media(media="print")
        assert page.locator(".top nav").is_hidden() and page.locator("#export-pdf").is_hidden()
        assert page.locator("#chart-quarters").is_visible()
        page.emulate_media(media="screen")

        with page.expect_download() as info:
            page.click("#export-xlsx")
        xlsx = tmp_path / "report.xlsx"
        info.value.save_as(xlsx)
        book = load_workbook(xlsx)
        assert book.sheetnames == [
            "目标完成",
            "分季度",
            "州市排名",
            "停滞项目",
            "项目流转",
            "重复统计",
            "客商",
        ]
        assert book["目标完成"]["A3"].value == "产业类省外到位资金（亿元）"
        with page.expect_download() as info:
            page.click("#export-pdf")
        pdf = tmp_path / "report.pdf"
        info.value.save_as(pdf)
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "全省招商引资督查通报（2024年第四季度）" in text and "州市排名" in text

        page.goto(site["url"] + "/console/projects")
        total = int(re.search(r"共 (\d+) 个", page.inner_text("h1")).group(1))
        assert total > 20
        _shot(page, "projects")
        page.select_option("select[name=stage]", "开工")
        page.click("#filters button[type=submit]")
        page.wait_for_url(re.compile(r"stage="))
        rows = page.locator("#project-table tbody tr")
        assert rows.count() == 1 and "滇中新能源电池生产基地项目" in rows.inner_text()
        page.goto(site["url"] + "/console/projects")
        page.check("input[name=big]")
        page.select_option("select[name=prefecture]", KM)
        page.click("#filters button[type=submit]")
        page.wait_for_url(re.compile(r"big=1"))
        assert all(
            "昆明市" in t
            for t in page.locator("#project-table tbody tr td:nth-child(3)").all_inner_texts()
        )

        page.goto(site["url"] + f"/console/projects/{site['ids']['P1']}")
        assert "开工" in page.inner_text("#stage-history")
        assert _chart_pixels(page, "#chart-funds") > 500
        _shot(page, "project")

        page.goto(site["url"] + "/console/stalled")
        row = page.locator(f"#stalled-table tr[data-id='{site['ids']['P6']}']")
        row.locator("select[name=status]").select_option("淘汰退出")
        row.locator("button").click()
        page.wait_for_url(re.compile(r"/console/stalled"))
        assert (
            "淘汰退出"
            in page.locator(
                f"#stalled-table tr[data-id='{site['ids']['P6']}'] .status"
            ).inner_text()
        )
        assert _chart_pixels(page, "#chart-stalled") > 200
        _shot(page, "stalled")

        page.goto(site["url"] + "/console/transfers")
        row = page.locator(f"#transfer-table tr[data-id='{site['ids']['T1']}']")
        row.locator("input[name=from_funds_pct]").fill("40")
        row.locator("input[name=from_credit_pct]").fill("50")
        row.locator("button").click()
        page.wait_for_url(re.compile(r"/console/transfers"))
        assert "40%" in page.inner_text("#transfer-table")
        _shot(page, "transfers")

        page.goto(site["url"] + "/console/duplicates")
        assert "待裁定" in page.inner_text("#dup-table")
        _shot(page, "duplicates")
        page.select_option("#dup-table select[name=resolution]", "distinct")
        page.click("#dup-table button")
        page.wait_for_url(re.compile(r"/console/duplicates"))
        assert "不是重复" in page.inner_text("#dup-table")

        page.goto(site["url"] + "/console/investors")
        assert _chart_pixels(page, "#chart-investors") > 500
        assert "京津冀" in page.inner_text("#investor-table")
        assert _fits_1366(page)
        _shot(page, "investors")
    finally:
        context.close()


def test_prefecture_account_cannot_reach_another_prefecture(browser, site, shots):
    context, page = _sign_in(browser, site, "qujing", shots)
    try:
        page.goto(site["url"] + "/console/projects")
        listing = page.inner_text("#project-table")
        assert "QJ-2023-0001" in listing and "KM-2022-0001" not in listing
        assert page.locator("select[name=prefecture] option").count() == 2  # 全部 + 曲靖市
        response = page.goto(site["url"] + f"/console/projects/{site['ids']['P1']}")
        assert response.status == 404 and "找不到该项目" in page.inner_text("main")
        page.goto(site["url"] + f"/console/projects?prefecture={KM}")
        assert "共 0 个" in page.inner_text("h1")
        page.goto(site["url"] + "/console/overview?quarter=2022Q4")
        assert page.locator("#prefecture-table tbody tr").count() == 1
        assert "曲靖市" in page.inner_text("#prefecture-table")
        assert _chart_pixels(page, "#chart-quarters") > 200
        _shot(page, "prefecture")
    finally:
        context.close()


def test_login_page_screenshot(browser, site, shots):
    context = _context(browser, shots)
    page = context.new_page()
    page.goto(site["url"] + "/console/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-Password-1")
    page.click("#login button[type=submit]")
    assert "用户名或密码不正确" in page.inner_text(".msg")
    _shot(page, "login")
    context.close()
