"""Brochures built from a real database: projects, catalogue, officer profile, investor.

PDFs are checked with poppler (pdftotext/pdffonts) and QR codes decoded from the rendered
pages (helpers shared with test_brochure_render).
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from test_brochure_render import decode_qr_codes, needs_poppler, pdftext, run, squash

from zsapp import profile
from zsapp.brochure import BrochureError, history, source, templates
from zsapp.brochure.model import ProjectSheet
from zsapp.brochure.qr import project_qr_text
from zsapp.contacts import companies, merge
from zsapp.projects import projects as projects_mod
from zsapp.projects import stages

PHONE_SHOWN = "+86 138 0013 8000"

# (name, catalogue items, 州市, 县, 总投资 亿元, 用地 亩)
PROJECTS = [
    ("年产10万吨新能源电池铝箔项目", ["I02-04"], "昆明市", "安宁市", "12.5", "300"),
    ("新能源汽车轻量化铝合金零部件项目", ["I02-02"], "曲靖市", "", "20", "450.5"),
    ("TOPCon高效光伏电池片生产线项目", ["I03-02"], "曲靖市", "", "35", "600"),
    ("普洱茶精深加工及茶旅融合项目", ["I01-01"], "普洱市", "", "3", "80"),
    ("铝电解电容器用电极箔项目", ["I02-04", "I02-02"], "红河哈尼族彝族自治州", "", "8", "150"),
]
LONG_TEXT = (
    "项目依托云南丰富的绿色水电资源和现有产业基础，拟引进行业领先企业建设生产基地。项目建成后，"
    "预计年产值可达30亿元（含出口收入），年均税收约1.8亿元，带动就业1200人以上；产品主要面向新能源汽车、"
    "储能电站及消费电子等领域，采用TOPCon、HJT等先进技术路线，综合能耗较行业平均水平降低15%。"
)


def set_officer(store, **kw):
    values = {
        "name": "欧阳明华",
        "title": "招商专员",
        "phone": "13800138000",
        "email": "ouyang.mh@example.cn",
        "unit": "昆明市投资促进局",
        "prefecture": "昆明市",
        "park": "",
    }
    values.update(kw)
    profile.save_profile(store, profile.OfficerProfile(**values))


def add_project(store, name, items, prefecture, county="", yi="10", mu="100", **kw):
    return projects_mod.create_project(
        store,
        name=name,
        item_ids=items,
        prefecture_key=prefecture,
        county_key=county,
        total_investment_yi=yi,
        land_mu=mu,
        summary=kw.pop("summary", LONG_TEXT),
        construction_content=kw.pop(
            "construction_content", "主厂房、综合仓库、研发中心及配套公用工程。"
        ),
        **kw,
    )


def code_of(store, project_id):
    return store.get("projects", project_id)["code"]


@pytest.fixture
def db(store):
    set_officer(store)
    ids = [add_project(store, *p) for p in PROJECTS]
    return store, ids


# -- one project ------------------------------------------------------------------------
@needs_poppler
def test_one_project_brochure_from_database(db, tmp_path):
    store, ids = db
    code = code_of(store, ids[0])
    source.set_promo(
        store,
        ids[0],
        name_en="New Energy Battery Aluminium Foil",
        highlights="绿电占比超过80%，园区内建有220千伏变电站。",
        advantages="享受西部大开发企业所得税15%优惠税率。",
    )
    out = tmp_path / "one.pdf"
    gen = history.generate(store, out, codes=code, date=datetime.date(2026, 3, 18))
    assert out.is_file() and gen.result.pages >= 5
    flat = squash(pdftext(out))
    assert squash(PROJECTS[0][0]) in flat and code in flat
    assert "绿色铝›电力电子领域" in flat
    assert "12.5亿元" in flat and "300亩" in flat
    assert "云南省昆明市安宁市" in flat
    assert "绿电占比超过80%" in flat and "西部大开发企业所得税15%优惠税率" in flat
    assert "招商中" in flat  # stage 线索 shown in investor-facing words
    assert "昆明市招商引资项目推介册" in flat
    assert squash(PHONE_SHOWN) in flat and "欧阳明华" in flat
    assert "依据《云南省招商引资指导目录》版本" in flat
    # fonts embedded as subsets with a Unicode map
    for ln in run("pdffonts", str(out)).splitlines()[2:]:
        assert ln.split()[-5:-2] == ["yes", "yes", "yes"], ln
    # QR codes decoded from the rendered pages
    texts = decode_qr_codes(out, tmp_path)
    sheet = ProjectSheet(code=code, name=PROJECTS[0][0], industry_path=[])
    assert project_qr_text(sheet, PHONE_SHOWN) in texts
    vcards = [t for t in texts if t.startswith("BEGIN:VCARD")]
    assert len(vcards) == 1
    assert (
        "FN:欧阳明华" in vcards[0]
        and "N:欧阳;明华" in vcards[0]
        and "+86 138 0013 8000" in vcards[0]
    )
    assert "ORG:昆明市投资促进局" in vcards[0] and "TITLE:招商专员" in vcards[0]


@needs_poppler
def test_single_project_page_and_english(db, tmp_path):
    store, ids = db
    code = code_of(store, ids[1])
    source.set_promo(
        store,
        ids[1],
        name_en="Lightweight Aluminium Auto Parts",
        summary_en="Lightweight aluminium alloy parts for new energy vehicles.",
    )
    out = tmp_path / "page.pdf"
    gen = history.generate(store, out, codes=[code], language="zh-en", single_page=True)
    assert gen.kind == "单项目推介页" and gen.result.pages <= 2
    txt = pdftext(out)
    flat = squash(txt)
    assert squash(PROJECTS[1][0]) in flat and "LightweightAluminiumAutoParts" in flat
    assert "TransportationApplications" in flat or "Transportation" in flat
    assert "450.5亩" in flat
    assert "目录" not in flat.replace("产业目录", "").replace(
        "指导目录", ""
    )  # no TOC on a one-pager
    with pytest.raises(BrochureError, match="单项目推介页只能包含一个项目"):
        history.generate(
            store, tmp_path / "two.pdf", codes=[code, code_of(store, ids[0])], single_page=True
        )
    assert not (tmp_path / "two.pdf").exists()


# -- twenty projects ----------------------------------------------------------------------
@needs_poppler
def test_twenty_project_brochure(store, tmp_path):
    set_officer(store, park="昆明安宁工业园区")
    items = ["I02-04", "I02-02", "I03-02", "I01-01", "I06-01"]
    names = [
        f"第{i + 1}号重点招商项目（{['铝箔', '轻量化', '电池片', '茶叶', '新材料'][i % 5]}）"
        for i in range(20)
    ]
    ids = [
        add_project(store, names[i], [items[i % 5]], "昆明市", yi=str(5 + i), mu=str(100 + 10 * i))
        for i in range(20)
    ]
    codes = [code_of(store, i) for i in ids]
    out = tmp_path / "twenty.pdf"
    calls = []
    gen = history.generate(
        store, out, codes=",".join(codes), progress=lambda d, t: calls.append((d, t))
    )
    res = gen.result
    assert res.pages >= 22
    assert res.size_bytes < 2_000_000
    txt = pdftext(out)
    flat = squash(txt)
    for n in names:
        assert squash(n) in flat
    assert flat.index(squash(names[0])) < flat.index(squash(names[19]))
    assert f"第 {res.pages} 页 / 共 {res.pages} 页" in txt
    assert "昆明安宁工业园区" in txt  # header / cover
    assert calls and calls[-1][0] == calls[-1][1]
    # catalogue context page lists every industry of the booklet
    for ind in ("绿色铝", "光伏制造业", "高原特色现代农业"):
        assert ind in flat
    # QR codes of the first projects (pages 4-6) decode to their plain-text payload
    texts = decode_qr_codes(out, tmp_path, first=4, last=6)
    for i in range(2):
        sheet = ProjectSheet(code=codes[i], name=names[i], industry_path=[])
        assert project_qr_text(sheet, PHONE_SHOWN) in texts
    entry = history.list_history(store)[0]
    assert entry["projects"] == codes and entry["pages"] == res.pages and entry["file_exists"]


@needs_poppler
def test_project_qr_uses_office_url_when_configured(db, tmp_path):
    store, ids = db
    source.set_project_url(store, "https://zs.example.cn/p/")
    code = code_of(store, ids[0])
    out = tmp_path / "url.pdf"
    history.generate(store, out, codes=code, single_page=True)
    assert f"https://zs.example.cn/p/{code}" in decode_qr_codes(out, tmp_path)
    with pytest.raises(BrochureError, match="格式不正确"):
        source.set_project_url(store, "zs.example.cn")
    assert source.project_url(store) == "https://zs.example.cn/p/"


# -- personalised ------------------------------------------------------------------------
@needs_poppler
def test_personalised_brochure_picks_company_industries(db, tmp_path):
    store, ids = db
    company_id = companies.create_company(
        store, {"name": "中国铝业集团有限公司"}, items=["I02-04", "I02-02"]
    )
    # a matching project that is already terminated and a deleted one are left out
    gone = add_project(store, "铝型材挤压项目（已终止）", ["I02-02"], "昆明市", yi="50")
    stages.change_stage(store, gone, "终止", "企业撤资")
    deleted = add_project(store, "铝箔项目（已删除）", ["I02-04"], "昆明市", yi="60")
    projects_mod.delete_project(store, deleted)

    picked = source.select_for_company(store, company_id)
    got = [r["id"] for r in picked]
    # both items first, then larger investment first
    assert got == [ids[4], ids[1], ids[0]]

    out = tmp_path / "for.pdf"
    gen = history.generate(store, out, company_ref=company_id)
    assert gen.built.project_ids == got
    flat = squash(pdftext(out))
    assert "致中国铝业集团有限公司" in flat
    for i in (0, 1, 4):
        assert squash(PROJECTS[i][0]) in flat
    for i in (2, 3):
        assert squash(PROJECTS[i][0]) not in flat
    assert "已终止" not in flat and "已删除" not in flat
    entry = history.list_history(store, company_ref=company_id)[0]
    assert entry["company_name"] == "中国铝业集团有限公司"
    assert entry["projects"] == [code_of(store, i) for i in got]

    # explicit projects for a company: cover still says 致 …, selection is the given one
    gen2 = history.generate(
        store,
        tmp_path / "for2.pdf",
        codes=code_of(store, ids[3]),
        company_ref="中国铝业集团有限公司",
    )
    assert (
        gen2.built.project_ids == [ids[3]] and gen2.built.spec.recipient == "中国铝业集团有限公司"
    )


def test_personalised_errors_are_clear(db, tmp_path):
    store, _ = db
    bare = companies.create_company(store, {"name": "某某投资有限公司"})
    with pytest.raises(BrochureError, match="尚未关联所属产业"):
        source.build_spec(store, company_ref=bare)
    tea_less = companies.create_company(store, {"name": "云南锡业集团有限公司"}, items=["I06-01"])
    with pytest.raises(BrochureError, match="没有与企业“云南锡业集团有限公司”所属产业相符"):
        source.build_spec(store, company_ref=tea_less)
    with pytest.raises(BrochureError, match="找不到企业"):
        source.build_spec(store, company_ref="不存在的公司")
    assert history.count_history(store) == 0


def test_merge_moves_brochure_history_to_survivor(db, tmp_path):
    store, _ids = db
    keep = companies.create_company(store, {"name": "中国铝业集团有限公司"}, items=["I02-04"])
    dup = companies.create_company(
        store, {"name": "中铝集团"}, items=["I02-04"], allow_similar=True
    )
    history.generate(store, tmp_path / "dup.pdf", company_ref=dup)
    merge.merge_companies(store, keep, dup)
    rows = history.list_history(store, company_ref=keep)
    assert len(rows) == 1 and rows[0]["company_name"] == "中铝集团"
    # the merged-away id still resolves (to the survivor)
    assert source.company(store, dup)["id"] == keep


# -- bad input ---------------------------------------------------------------------------
def test_unknown_codes_reported_together_nothing_written(db, tmp_path):
    store, ids = db
    out = tmp_path / "x.pdf"
    with pytest.raises(BrochureError) as err:
        history.generate(store, out, codes=f"{code_of(store, ids[0])}，KM-1999-0001、nope")
    assert (
        "KM-1999-0001" in str(err.value) and "nope" in str(err.value) and "找不到" in str(err.value)
    )
    assert not out.exists() and history.count_history(store) == 0
    with pytest.raises(BrochureError, match="请至少选择一个项目"):
        source.build_spec(store, [])
    with pytest.raises(BrochureError, match=r"\.pdf"):
        history.generate(store, tmp_path / "x.docx", codes=code_of(store, ids[0]))
    with pytest.raises(BrochureError, match="不支持的语言"):
        source.build_spec(store, code_of(store, ids[0]), language="fr")


def test_codes_are_case_insensitive_deduplicated_and_former_codes_work(db):
    store, ids = db
    c0, c1 = code_of(store, ids[0]), code_of(store, ids[1])
    store.update("projects", ids[1], {"former_codes": json.dumps(["OLD-2020-0007"])})
    built = source.build_spec(store, f"{c0.lower()}, OLD-2020-0007 {c0}")
    assert built.project_codes == [c0, c1]


def test_profile_required(store, tmp_path):
    pid = add_project(store, PROJECTS[0][0], PROJECTS[0][1], "昆明市")
    with pytest.raises(BrochureError, match="个人资料"):
        history.generate(store, tmp_path / "x.pdf", codes=code_of(store, pid))
    assert history.count_history(store) == 0


def test_sheet_fields_from_database(db):
    store, ids = db
    sheet = source.project_sheet(store, store.get("projects", ids[4]))
    assert sheet.industry_path == ["绿色铝", "交通运输领域、电力电子领域"]
    assert sheet.industry_path_en[0] == "Green Aluminium"
    assert sheet.investment_yi == Decimal("8") and sheet.land_mu == Decimal("150")
    assert sheet.location.startswith("云南省红河哈尼族彝族自治州")
    ctx = source.catalogue_context(store, ids)
    assert [c.industry for c in ctx] == ["高原特色现代农业", "绿色铝", "光伏制造业"]
    assert ("电力电子领域", ctx[1].items[1][1]) == ctx[1].items[1]


# -- templates & history rows -------------------------------------------------------------
@needs_poppler
def test_template_title_intro_language(db, tmp_path):
    store, ids = db
    t = templates.save_template(
        store,
        templates.Template(
            name="上海推介会",
            title="云南绿色铝产业招商推介",
            intro="诚邀长三角企业来滇投资。",
            language="zh-en",
        ),
    )
    out = tmp_path / "t.pdf"
    gen = history.generate(store, out, codes=code_of(store, ids[0]), template_ref="上海推介会")
    flat = squash(pdftext(out))
    assert "云南绿色铝产业招商推介" in flat and "诚邀长三角企业来滇投资" in flat
    assert "Contents" in flat  # bilingual from the template
    entry = history.get_entry(store, gen.history_id)
    assert entry["template"] == "上海推介会" and entry["language"] == "zh-en"
    # same name again is refused; an update keeps the id
    with pytest.raises(BrochureError, match="已有同名"):
        templates.save_template(store, templates.Template(name="上海推介会"))
    t.intro = "新的推介说明。"
    assert templates.save_template(store, t).id == t.id
    with pytest.raises(BrochureError, match="找不到推介模板“北京”"):
        history.generate(
            store, tmp_path / "n.pdf", codes=code_of(store, ids[0]), template_ref="北京"
        )
    with pytest.raises(BrochureError, match="封面图片不存在"):
        templates.save_template(
            store, templates.Template(name="坏封面", cover_image=str(tmp_path / "no.png"))
        )


def test_history_row_is_sync_ready(db, tmp_path):
    store, ids = db
    gen = history.generate(store, tmp_path / "h.pdf", codes=code_of(store, ids[0]))
    row = store.get("brochures", gen.history_id)
    assert row["updated_by"] == store.device_id and row["created_at"]
    assert (
        store.scalar(
            "SELECT count(*) FROM outbox WHERE table_name = 'brochures' AND row_id = ?",
            (gen.history_id,),
        )
        > 5
    )
    import hashlib

    assert row["sha256"] == hashlib.sha256((tmp_path / "h.pdf").read_bytes()).hexdigest()
    history.forget(store, gen.history_id)
    assert history.list_history(store) == [] and (tmp_path / "h.pdf").exists()


@needs_poppler
def test_rare_characters_from_database_are_reported(db, tmp_path):
    store, _ = db
    pid = add_project(store, "䶮𬌗㐂稀有字测试项目", ["I02-04"], "昆明市")
    gen = history.generate(store, tmp_path / "rare.pdf", codes=code_of(store, pid))
    chars = {m["char"] for m in gen.result.missing_glyphs}
    assert {"䶮", "𬌗", "㐂"} <= chars
    txt = pdftext(tmp_path / "rare.pdf")
    for m in gen.result.missing_glyphs:
        assert (m["char"] in txt) if m["rendered_with"] else (f"[{m['codepoint']}]" in txt)


def test_template_cover_image_used_and_missing_one_skipped(db, tmp_path):
    from PIL import Image

    store, ids = db
    img = tmp_path / "cover.jpg"
    Image.new("RGB", (1200, 800), (20, 80, 140)).save(img)
    templates.save_template(store, templates.Template(name="带封面", cover_image=str(img)))
    gen = history.generate(
        store, tmp_path / "c.pdf", codes=code_of(store, ids[0]), template_ref="带封面"
    )
    assert gen.built.spec.cover_image == img.resolve() and gen.result.size_bytes < 2_000_000
    img.unlink()  # e.g. a template synced from another device
    gen = history.generate(
        store, tmp_path / "d.pdf", codes=code_of(store, ids[0]), template_ref="带封面"
    )
    assert gen.built.spec.cover_image is None
    assert any("封面图片在本机不存在" in n for n in gen.built.notes)
    with pytest.raises(BrochureError, match="封面图片不存在"):  # chosen explicitly: an error
        history.generate(store, tmp_path / "e.pdf", codes=code_of(store, ids[0]), cover_image=img)
