"""Issue 13 brochure fixes, checked in real PDFs with poppler: the cover names the
projects' 州市 (云南省 when mixed), every catalogue item of a project is listed, project
pages show 投资强度/亩均税收/就业/亮点, bilingual mode translates cover/location/contact
and lists what still lacks English; the history shows the language."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from test_brochure_render import needs_poppler, pdftext, squash

from zsapp import profile
from zsapp.brochure import history, source
from zsapp.projects import projects as projects_mod


def _officer(store, **extra):
    profile.save_profile(
        store,
        profile.OfficerProfile(
            name="张丽",
            phone="0871-63123456",
            unit="昆明市投资促进局",
            prefecture="昆明市",
            **extra,
        ),
    )


def _projects(store):
    a = projects_mod.create_project(
        store,
        name="普洱咖啡精深加工项目",
        item_ids=["I01-06", "I01-01"],
        prefecture_key="西双版纳",
        total_investment_yi="12",
        land_mu="200",
        tax_per_mu_wan="18",
        expected_jobs=350,
        summary="建设咖啡精深加工生产线。",
    )
    b = projects_mod.create_project(
        store, name="玉溪铝材项目", item_ids=["I02-02"], prefecture_key="玉溪", summary="铝材。"
    )
    source.set_promo(store, a, highlights="毗邻咖啡主产区，原料就近供应。")
    return [store.get("projects", i)["code"] for i in (a, b)]


@needs_poppler
def test_cover_catalogue_and_project_page(store, tmp_path):
    _officer(store)
    codes = _projects(store)
    out = tmp_path / "mixed.pdf"
    history.generate(store, out, codes=codes)
    flat = squash(pdftext(out))
    assert "云南省招商引资项目推介册" in flat and "昆明市招商引资" not in flat
    # both catalogue items of the first project point at it in the 目录依据 table
    table = flat[flat.rindex("产业目录依据") :]
    assert table.count(codes[0]) >= 2
    assert "投资强度" in flat and "600万元/亩" in flat
    assert "亩均税收" in flat and "18万元/亩" in flat
    assert "预计就业" in flat and "350人" in flat
    assert "毗邻咖啡主产区" in flat

    single = tmp_path / "one.pdf"
    history.generate(store, single, codes=codes[:1])
    assert "西双版纳傣族自治州招商引资项目推介册" in squash(pdftext(single))


@needs_poppler
def test_bilingual_translates_cover_location_contact_and_lists_missing(store, tmp_path):
    _officer(store)
    codes = _projects(store)
    lacking = source.missing_english(store, codes)
    labels = [(m["code"], m["label"]) for m in lacking]
    assert ("", "个人资料：单位英文名称") in labels
    assert (codes[0], "项目英文名称") in labels and (codes[1], "项目英文简介") in labels
    _officer(store, unit_en="Kunming Investment Promotion Bureau")
    source.set_promo(
        store,
        store.scalar("SELECT id FROM projects WHERE code = ?", (codes[0],)),
        name_en="Pu'er Coffee Deep Processing",
        summary_en="Coffee processing lines.",
    )
    assert all(
        m["code"] != codes[0] or "目录条目" in m["label"]
        for m in source.missing_english(store, codes)
    )
    out = tmp_path / "en.pdf"
    history.generate(store, out, codes=codes, language="zh-en")
    text = pdftext(out)
    assert "Yunnan Province Investment Projects" in text
    assert "Xishuangbanna Dai Autonomous Prefecture, Yunnan Province" in text
    assert "Zhang Li" in text and "Kunming Investment Promotion Bureau" in text
    assert "Tel" in text and "Contact" in text


def test_cli_lists_missing_english_and_history_shows_language(store, data_dir, tmp_path):
    _officer(store)
    codes = _projects(store)
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    out = tmp_path / "en.pdf"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "zsapp",
            "brochure",
            "--projects",
            ",".join(codes),
            "--lang",
            "zh-en",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "以下内容还没有英文" in r.stderr and "项目英文名称" in r.stderr
    h = subprocess.run(
        [sys.executable, "-m", "zsapp", "brochure", "history"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "中英双语" in h.stdout
    rows = json.loads(
        subprocess.run(
            [sys.executable, "-m", "zsapp", "brochure", "history", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        ).stdout
    )
    assert rows[0]["language"] == "zh-en"
