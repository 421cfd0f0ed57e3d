"""End-to-end tests of the brochure renderer, checked with poppler and QR decoders."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from zsapp.brochure import (
    BrochureError,
    BrochureSpec,
    CatalogueContext,
    OfficerContact,
    ProjectSheet,
    fonts,
    officer_vcard,
    project_qr_text,
    render_brochure,
    render_project_page,
)
from zsapp.brochure.linebreak import CANNOT_START
from zsapp.brochure.qr import split_chinese_name

POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm"))
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftotext/pdffonts/pdfinfo/pdftoppm) not installed"
)

OFFICER = OfficerContact(
    name="欧阳明华",
    title="招商专员",
    unit="招商一处",
    org="昆明市投资促进局",
    phone="13800138000",
    email="ouyang.mh@example.cn",
)

_PATHS = [
    (["绿色铝", "电力电子领域"], ["Green Aluminium", "Power Electronics"]),
    (["新材料产业", "锡基新材料"], ["New Materials", "Tin-based Materials"]),
    (["光伏制造业", "高效电池技术"], ["PV Manufacturing", "High-efficiency Cells"]),
    (["绿色铝", "交通运输领域"], ["Green Aluminium", "Transportation"]),
    (["生物医药", "现代中药"], ["Biomedicine", "Modern TCM"]),
]
_NAMES = [
    "年产10万吨新能源电池铝箔项目",
    "锡基焊料及高端锡化工新材料项目",
    "TOPCon高效光伏电池片生产线项目",
    "新能源汽车轻量化铝合金零部件项目",
    "三七现代中药配方颗粒生产基地项目",
    "再生铝保级利用循环经济产业园项目",
    "年产5GW HJT异质结电池组件项目",
    "锡基储能材料研发及产业化项目",
    "铝基电子箔及化成箔项目",
    "滇中绿色铝精深加工产业园项目",
    "光伏银浆及辅材配套项目",
    "高纯锡及锡合金靶材项目",
    "铝合金轨道交通车体型材项目",
    "天然药物提取及中间体项目",
    "铝电解电容器用电极箔项目",
    "钙钛矿叠层电池中试线项目",
    "锡基无铅焊锡膏项目",
    "铝制汽车电池托盘项目",
    "石斛深加工及大健康产品项目",
    "光伏玻璃深加工项目",
]
_PLACES = [
    "昆明市安宁工业园区",
    "红河州个旧市",
    "曲靖市经济技术开发区",
    "文山州砚山县",
    "玉溪市高新区",
]

SUMMARY = (
    "项目依托云南丰富的绿色水电资源和现有产业基础，拟引进行业领先企业，建设“{n}”。项目建成后，"
    "预计年产值可达{v}亿元（含出口收入），年均税收约{t}亿元，带动就业1200人以上；产品主要面向新能源汽车、"
    "储能电站及消费电子等领域，采用TOPCon、HJT等先进技术路线，综合能耗较行业平均水平降低15%。"
)
CONSTRUCTION = (
    "建设内容包括：主厂房、综合仓库、研发中心及配套公用工程，总建筑面积约18.6万平方米；购置冷轧机、"
    "箔轧机、分切机等主要生产设备320台（套）。分两期建设，一期建设期18个月，二期建设期24个月。"
)
HIGHLIGHTS = "区位优越：距昆明长水国际机场约45公里；能源保障：园区内建有220千伏变电站，绿电占比超过80%；产业配套：上下游企业集聚，形成“铝土矿—氧化铝—电解铝—铝加工”完整链条。"
ADVANTAGES = (
    "享受西部大开发企业所得税15%优惠税率；对固定资产投资额超过10亿元的项目，按“一事一议”给予支持。"
    "园区提供标准厂房代建、人才公寓及“一站式”审批服务（承诺制审批，60个工作日内完成）。"
)


def make_project(i: int, *, name: str | None = None) -> ProjectSheet:
    path, path_en = _PATHS[i % len(_PATHS)]
    n = name or _NAMES[i % len(_NAMES)]
    inv = Decimal("12.5") + i
    return ProjectSheet(
        code=f"YN-2025-{i + 1:03d}",
        name=n,
        industry_path=list(path),
        location=_PLACES[i % len(_PLACES)],
        investment_yi=inv,
        land_mu=Decimal(300 + 20 * i),
        summary=SUMMARY.format(n=n, v=inv * 2, t=Decimal("1.8")),
        construction=CONSTRUCTION,
        highlights=HIGHLIGHTS,
        advantages=ADVANTAGES,
        stage=["前期策划", "可研编制", "土地已收储", "招商洽谈"][i % 4],
        name_en=f"Project {i + 1}: New Energy Aluminium Foil",
        summary_en="The project relies on Yunnan's green hydropower and an established industrial base.",
        industry_path_en=list(path_en),
    )


def make_spec(n: int, **kw) -> BrochureSpec:
    projects = [make_project(i) for i in range(n)]
    defaults = {
        "title": "云南省重点产业招商项目推介册",
        "place": "昆明市",
        "date": datetime.date(2025, 3, 18),
        "officer": OFFICER,
        "projects": projects,
        "intro": (
            "云南地处中国西南，是面向南亚东南亚的辐射中心。本册精选绿色铝、新材料、光伏制造、生物医药等"
            "重点产业项目，诚邀海内外客商考察洽谈、投资兴业。\n"
            "所列项目均依据《云南省招商引资指导目录》筛选，项目信息以最新对接情况为准。"
        ),
        "recipient": "中国铝业集团有限公司",
        "catalogue_version": "2024年版",
        "park_name": "昆明安宁工业园区",
        "app_version": "0.1.0",
        "keywords": ["招商", "绿色铝", "光伏"],
        "catalogue_context": [
            CatalogueContext(
                "绿色铝",
                "Green Aluminium",
                [("电力电子领域", "Power Electronics"), ("交通运输领域", "Transportation")],
            ),
            CatalogueContext(
                "新材料产业", "New Materials", [("锡基新材料", "Tin-based Materials")]
            ),
            CatalogueContext(
                "光伏制造业", "PV Manufacturing", [("高效电池技术", "High-efficiency Cells")]
            ),
            CatalogueContext("生物医药", "Biomedicine", [("现代中药", "Modern TCM")]),
        ],
    }
    defaults.update(kw)
    return BrochureSpec(**defaults)


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")


def pdftext(pdf: Path, layout: bool = False) -> str:
    return run("pdftotext", *(["-layout"] if layout else []), str(pdf), "-")


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def decode_qr_codes(
    pdf: Path, tmp: Path, first: int | None = None, last: int | None = None
) -> list[str]:
    """Rasterise pages at 200 dpi and decode every QR code (zxing-cpp, zbarimg as fallback)."""
    out = tmp / "pg"
    args = ["pdftoppm", "-r", "200", "-png"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    subprocess.run([*args, str(pdf), str(out)], check=True)
    texts: list[str] = []
    pngs = sorted(tmp.glob("pg*.png"))
    try:
        import zxingcpp
        from PIL import Image

        for png in pngs:
            with Image.open(png) as im:
                texts += [r.text for r in zxingcpp.read_barcodes(im)]
    except ImportError:
        if not shutil.which("zbarimg"):
            pytest.skip("neither zxing-cpp nor zbarimg available to decode QR codes")
        for png in pngs:
            r = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True)
            texts += [t for t in r.stdout.decode("utf-8").split("\n\n") if t.strip()]
    for png in pngs:
        png.unlink()
    return texts


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    out = tmp_path_factory.mktemp("big") / "推介册.pdf"
    calls: list[tuple[int, int]] = []
    res = render_brochure(make_spec(20), out, progress=lambda d, t: calls.append((d, t)))
    return out, res, calls


@needs_poppler
def test_fonts_embedded_subset_unicode(big):
    out, _res, _ = big
    lines = run("pdffonts", str(out)).splitlines()[2:]
    assert lines, "no fonts listed"
    for ln in lines:
        cols = ln.split()
        # name type encoding emb sub uni object ID
        assert cols[-5:-2] == ["yes", "yes", "yes"], ln


@needs_poppler
def test_text_content_and_order(big):
    out, res, _ = big
    txt = pdftext(out)
    flat = squash(txt)
    n = res.pages
    assert n >= 22
    for i in range(20):
        assert squash(_NAMES[i]) in flat
    assert "欧阳明华" in flat
    assert f"第 1 页 / 共 {n} 页" in txt
    assert f"第 {n} 页 / 共 {n} 页" in txt
    assert "目录" in flat and "致中国铝业集团有限公司" in flat
    assert "依据《云南省招商引资指导目录》版本2024年版" in flat
    assert flat.index("云南省重点产业招商项目推介册") < flat.index(squash(_NAMES[0]))
    assert "绿色铝›电力电子领域" in flat and "新材料产业›锡基新材料" in flat
    assert "12.5亿元" in flat and "300亩" in flat and "YN-2025-020" in flat
    assert "TOPCon" in txt and "HJT" in txt
    assert not res.missing_glyphs


@needs_poppler
def test_toc_page_numbers_point_to_sections(big):
    out, _res, _ = big
    pages = pdftext(out).split("\f")
    toc = pdftext(out, layout=True).split("\f")[1]
    for i in (0, 7, 19):
        m = re.search(re.escape(_NAMES[i]) + r"[ .]*(\d+)\s*$", toc, re.M)
        assert m, f"TOC entry for {_NAMES[i]} missing"
        page_no = int(m.group(1))
        assert squash(f"{i + 1:02d}{_NAMES[i]}") in squash(pages[page_no - 1])


@needs_poppler
def test_pdf_metadata(big):
    out, _, _ = big
    info = run("pdfinfo", str(out))
    assert re.search(r"^Title:\s+云南省重点产业招商项目推介册$", info, re.M)
    assert re.search(r"^Author:\s+欧阳明华$", info, re.M)
    assert re.search(r"^Creator:\s+招商助手 0\.1\.0$", info, re.M)
    assert "(A4)" in info
    assert re.search(r"^Keywords:\s+招商", info, re.M)


@needs_poppler
def test_kinsoku_in_rendered_pdf(big):
    out, _, _ = big
    bad = []
    for ln in pdftext(out, layout=True).splitlines():
        s = ln.strip()
        if s and s[0] in CANNOT_START - set(".,:;?!)]}%-"):
            bad.append(ln)
        for chunk in re.split(r"\s{3,}", s):
            if chunk and chunk[-1] in "（《「『“‘":
                bad.append(ln)
    assert not bad, bad[:5]


@needs_poppler
def test_qr_codes_decode(big, tmp_path):
    out, _res, _ = big
    # project pages: the first two projects; the contact page is the last page
    texts = decode_qr_codes(out, tmp_path)
    vcards = [t for t in texts if t.startswith("BEGIN:VCARD")]
    assert len(vcards) == 1
    assert "FN:欧阳明华" in vcards[0] and "TEL" in vcards[0] and "N:欧阳;明华" in vcards[0]
    spec = make_spec(20)
    for p in spec.projects:
        assert project_qr_text(p, OFFICER.phone) in texts


def test_progress_reported(big):
    _, _, calls = big
    assert calls and calls[-1][0] == calls[-1][1]
    dones = [d for d, _ in calls]
    assert dones == sorted(dones)
    assert len(calls) >= 20


@needs_poppler
def test_single_project_brochure_and_one_pager(tmp_path):
    out = tmp_path / "one.pdf"
    res = render_brochure(make_spec(1, language="zh-en", recipient=""), out)
    txt = squash(pdftext(out))
    assert res.pages == res.pages and squash(_NAMES[0]) in txt
    assert "GreenAluminium›PowerElectronics" in txt and "Project1" in txt
    page = tmp_path / "page.pdf"
    r2 = render_project_page(make_project(3), OFFICER, page, place="曲靖市", park_name="曲靖经开区")
    assert r2.pages <= 2
    t2 = pdftext(page)
    assert squash(_NAMES[3]) in squash(t2) and f"第 1 页 / 共 {r2.pages} 页" in t2
    texts = decode_qr_codes(page, tmp_path)
    assert project_qr_text(make_project(3), OFFICER.phone) in texts
    info = run("pdfinfo", str(page))
    assert re.search(r"^Title:\s+" + re.escape(_NAMES[3]) + "$", info, re.M)


RARE = "𬌗㐂䶮"


@needs_poppler
def test_rare_glyphs_without_fallback_show_markers(tmp_path):
    spec = make_spec(1, projects=[make_project(0, name=f"{RARE}稀有字测试项目")])
    out = tmp_path / "rare.pdf"
    res = render_brochure(spec, out, use_fallback_fonts=False)
    got = {(m["char"], m["codepoint"], m["field"]) for m in res.missing_glyphs}
    for ch in RARE:
        assert (ch, f"U+{ord(ch):04X}", "projects[0].name") in got
    assert all(m["rendered_with"] is None for m in res.missing_glyphs)
    txt = pdftext(out)
    for ch in RARE:
        assert f"[U+{ord(ch):04X}]" in txt
    assert any("U+4DAE" in w for w in res.warnings)


@needs_poppler
def test_rare_glyphs_with_system_fallback(tmp_path):
    spec = make_spec(1, projects=[make_project(0, name=f"{RARE}稀有字测试项目")])
    out = tmp_path / "rare.pdf"
    res = render_brochure(spec, out)
    txt = pdftext(out)
    by_char = {m["char"]: m for m in res.missing_glyphs if m["field"] == "projects[0].name"}
    assert set(by_char) == set(RARE)
    for ch in RARE:
        if fonts.fallback_for(ch):  # rendered from a system fallback font: real text comes back
            assert by_char[ch]["rendered_with"]
            assert ch in txt
        else:  # no font on this machine has it: visible marker, reported
            assert by_char[ch]["rendered_with"] is None
            assert f"[U+{ord(ch):04X}]" in txt
    for ln in run("pdffonts", str(out)).splitlines()[2:]:
        assert ln.split()[-5:-2] == ["yes", "yes", "yes"], ln


def test_missing_glyphs_function():
    assert fonts.missing_glyphs("招商引资 TOPCon 12.5亿元，“绿色铝”") == []
    assert fonts.missing_glyphs("a𬌗b㐂𬌗䶮") == ["𬌗", "㐂", "䶮"]


def test_bad_cover_image(tmp_path):
    out = tmp_path / "x.pdf"
    with pytest.raises(BrochureError, match="封面图片"):
        render_brochure(make_spec(1, cover_image=tmp_path / "nope.jpg"), out)
    assert not out.exists()
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(BrochureError, match="封面图片无法读取"):
        render_brochure(make_spec(1, cover_image=junk), out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["junk.png"]


def test_empty_project_list(tmp_path):
    out = tmp_path / "x.pdf"
    with pytest.raises(BrochureError, match="至少需要包含一个项目"):
        render_brochure(make_spec(1, projects=[]), out)
    assert not out.exists()


def test_failed_render_keeps_previous_file(tmp_path):
    out = tmp_path / "x.pdf"
    out.write_bytes(b"old")
    with pytest.raises(BrochureError):
        render_brochure(make_spec(1, language="fr"), out)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["x.pdf"]


@needs_poppler
def test_cover_image_scaled(tmp_path):
    from PIL import Image

    img = tmp_path / "cover.png"
    Image.new("RGB", (1600, 500), (30, 90, 150)).save(img)
    out = tmp_path / "c.pdf"
    res = render_brochure(make_spec(1, cover_image=img), out)
    assert res.pages >= 4
    assert res.size_bytes < 2_000_000


def test_vcard_format():
    v = officer_vcard(
        OfficerContact(
            name="诸葛亮",
            title="主任, 一级",
            unit="招商;二处",
            org="云南省投资促进局",
            phone="0871-1234567",
            email="a\\b@example.cn",
        )
    )
    assert v.endswith("\r\n") and "\n" not in v.replace("\r\n", "")
    lines = v.split("\r\n")
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:3.0"]
    assert "N:诸葛;亮;;;" in lines and "FN:诸葛亮" in lines
    assert "TITLE:主任\\, 一级" in lines
    assert "ORG:云南省投资促进局;招商\\;二处" in lines
    assert "TEL;TYPE=CELL:0871-1234567" in lines
    assert any(ln.startswith("EMAIL") and ln.endswith("a\\\\b@example.cn") for ln in lines)
    assert split_chinese_name("欧阳明华") == ("欧阳", "明华")
    assert split_chinese_name("司马光") == ("司马", "光")
    assert split_chinese_name("王芳") == ("王", "芳")
    assert split_chinese_name("欧阳") == ("欧", "阳")


def test_project_qr_text():
    p = make_project(0)
    assert (
        project_qr_text(p, "13800138000")
        == f"项目编号：{p.code}\n项目名称：{p.name}\n联系电话：13800138000"
    )
    assert (
        project_qr_text(p, "", base_url="https://zs.example.cn/p/")
        == f"https://zs.example.cn/p/{p.code}"
    )


def test_qr_module_size():
    from zsapp.brochure.qr import qr_image, qr_matrix, qr_print_size_mm

    data = officer_vcard(OFFICER)
    n = len(qr_matrix(data))
    assert qr_print_size_mm(data, 30) / n >= 0.4
    assert qr_print_size_mm("x" * 600, 25) / len(qr_matrix("x" * 600)) >= 0.4
    im = qr_image(data)
    assert im.size[0] % n == 0
    assert not any(qr_matrix(data)[0])  # quiet zone row
