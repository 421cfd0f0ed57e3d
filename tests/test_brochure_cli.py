"""``zsapp brochure`` run as a user runs it: a real subprocess on a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_brochure_render import decode_qr_codes, needs_poppler, pdftext, squash

from zsapp import profile
from zsapp.contacts import companies
from zsapp.projects import projects as projects_mod


def zs(*args, data_dir, check=True):
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "zsapp", *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def seeded(store, data_dir):
    profile.save_profile(
        store,
        profile.OfficerProfile(
            name="张丽",
            title="副科长",
            phone="0871-63123456",
            email="zhangli@example.cn",
            unit="曲靖市投资促进局",
            prefecture="曲靖市",
        ),
    )
    ids = [
        projects_mod.create_project(
            store,
            name="新能源汽车轻量化铝合金零部件项目",
            item_ids=["I02-02"],
            prefecture_key="曲靖市",
            total_investment_yi="20",
            land_mu="450",
            summary="建设铝合金零部件生产线。",
        ),
        projects_mod.create_project(
            store,
            name="TOPCon高效光伏电池片生产线项目",
            item_ids=["I03-02"],
            prefecture_key="曲靖市",
            total_investment_yi="35",
            land_mu="600",
            summary="建设高效电池片生产线。",
        ),
    ]
    codes = [store.get("projects", i)["code"] for i in ids]
    company = companies.create_company(
        store, {"name": "隆基绿能科技股份有限公司"}, items=["I03-02"]
    )
    return store, codes, company


@needs_poppler
def test_generate_with_projects_and_history_json(seeded, data_dir, tmp_path):
    _store, codes, _ = seeded
    out = tmp_path / "推介册.pdf"
    r = zs("brochure", "--projects", ",".join(codes), "-o", str(out), data_dir=data_dir)
    assert "已生成推介册" in r.stdout and str(out) in r.stdout
    flat = squash(pdftext(out))
    assert "新能源汽车轻量化铝合金零部件项目" in flat and "TOPCon高效光伏电池片生产线项目" in flat
    assert "曲靖市招商引资项目推介册" in flat and "张丽" in flat
    vcards = [t for t in decode_qr_codes(out, tmp_path) if t.startswith("BEGIN:VCARD")]
    assert vcards and "FN:张丽" in vcards[0] and "+86 871 6312 3456" in vcards[0]

    rows = json.loads(zs("brochure", "history", "--json", data_dir=data_dir).stdout)
    assert len(rows) == 1
    assert rows[0]["projects"] == codes and rows[0]["file_path"] == str(out.resolve())
    assert (
        rows[0]["company_name"] == "" and rows[0]["pages"] >= 5 and rows[0]["file_exists"] is True
    )
    assert "致 （未指定企业）" in zs("brochure", "history", data_dir=data_dir).stdout


@needs_poppler
def test_for_company_selects_automatically(seeded, data_dir, tmp_path):
    _, codes, company = seeded
    out = tmp_path / "for.pdf"
    r = zs(
        "brochure",
        "--for-company",
        company,
        "--lang",
        "zh-en",
        "-o",
        str(out),
        "--json",
        data_dir=data_dir,
    )
    data = json.loads(r.stdout)
    assert data["projects"] == [codes[1]] and data["company_name"] == "隆基绿能科技股份有限公司"
    assert data["language"] == "zh-en"
    flat = squash(pdftext(out))
    assert "致隆基绿能科技股份有限公司" in flat and "Contents" in flat
    assert "新能源汽车轻量化铝合金零部件项目" not in flat
    rows = json.loads(
        zs(
            "brochure",
            "history",
            "--company",
            "隆基绿能科技股份有限公司",
            "--json",
            data_dir=data_dir,
        ).stdout
    )
    assert [r["company_id"] for r in rows] == [company]
    found = json.loads(
        zs("brochure", "history", "--search", "隆基", "--json", data_dir=data_dir).stdout
    )
    assert [r["company_id"] for r in found] == [company]
    assert (
        json.loads(
            zs("brochure", "history", "--search", "没有的", "--json", data_dir=data_dir).stdout
        )
        == []
    )


def test_unknown_codes_clear_error_and_nothing_written(seeded, data_dir, tmp_path):
    _, codes, _ = seeded
    out = tmp_path / "x.pdf"
    r = zs(
        "brochure",
        "--projects",
        f"{codes[0]},QJ-1999-0099,ABC",
        "-o",
        str(out),
        data_dir=data_dir,
        check=False,
    )
    assert r.returncode == 2
    assert "找不到以下项目编号：QJ-1999-0099、ABC" in r.stderr and r.stdout == ""
    assert not out.exists()
    assert json.loads(zs("brochure", "history", "--json", data_dir=data_dir).stdout) == []


def test_argument_errors(seeded, data_dir, tmp_path):
    _, codes, _ = seeded
    r = zs("brochure", "--projects", codes[0], data_dir=data_dir, check=False)
    assert r.returncode == 2 and "-o" in r.stderr
    r = zs("brochure", "-o", str(tmp_path / "x.pdf"), data_dir=data_dir, check=False)
    assert r.returncode == 2 and "--projects" in r.stderr
    r = zs(
        "brochure",
        "--for-company",
        "不存在的企业",
        "-o",
        str(tmp_path / "x.pdf"),
        data_dir=data_dir,
        check=False,
    )
    assert r.returncode == 2 and "找不到企业“不存在的企业”" in r.stderr
    r = zs(
        "brochure",
        "--projects",
        codes[0],
        "--template",
        "没有这个",
        "-o",
        str(tmp_path / "x.pdf"),
        data_dir=data_dir,
        check=False,
    )
    assert r.returncode == 2 and "找不到推介模板“没有这个”" in r.stderr
    assert not (tmp_path / "x.pdf").exists()


@needs_poppler
def test_template_texts_and_url_commands(seeded, data_dir, tmp_path):
    _, codes, _ = seeded
    intro = tmp_path / "intro.txt"
    intro.write_text("曲靖是云南的工业重镇，诚邀各界客商。", encoding="utf-8")
    zs(
        "brochure",
        "template",
        "add",
        "曲靖推介",
        "--title",
        "曲靖市重点产业项目推介",
        "--intro-file",
        str(intro),
        data_dir=data_dir,
    )
    listing = json.loads(zs("brochure", "template", "list", "--json", data_dir=data_dir).stdout)
    assert [t["name"] for t in listing] == ["曲靖推介"] and listing[0][
        "title"
    ] == "曲靖市重点产业项目推介"
    zs("brochure", "texts", codes[0], "--highlights", "距长水机场仅90分钟车程。", data_dir=data_dir)
    zs("brochure", "url", "https://zs.example.cn/xm", data_dir=data_dir)
    out = tmp_path / "t.pdf"
    zs(
        "brochure",
        "--projects",
        codes[0],
        "--template",
        "曲靖推介",
        "-o",
        str(out),
        data_dir=data_dir,
    )
    flat = squash(pdftext(out))
    assert (
        "曲靖市重点产业项目推介" in flat
        and "曲靖是云南的工业重镇" in flat
        and "距长水机场仅90分钟车程" in flat
    )
    assert f"https://zs.example.cn/xm/{codes[0]}" in decode_qr_codes(out, tmp_path, first=4, last=4)
    r = zs("brochure", "url", "not a url", data_dir=data_dir, check=False)
    assert r.returncode == 2 and "格式不正确" in r.stderr
    zs("brochure", "template", "delete", "曲靖推介", data_dir=data_dir)
    assert json.loads(zs("brochure", "template", "list", "--json", data_dir=data_dir).stdout) == []
