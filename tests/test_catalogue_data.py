"""Integrity tests for the transcribed domain data (catalogue + Yunnan regions).

Plain pytest, no Qt.  The seed-comparison tests read the original policy
document from ``<repo>/../shared/seed`` and are skipped if it is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

RESOURCES = Path(__file__).parents[1] / "resources"
SEED_DIR = Path(__file__).parents[2] / "shared" / "seed"

EXPECTED_ITEM_COUNTS = [11, 5, 3, 3, 2, 8, 5, 3, 2, 3]
OPEN = "（〔([【"
CLOSE = "）〕)]】"


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return json.loads((RESOURCES / "catalogue" / "catalogue.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def regions() -> dict:
    return json.loads((RESOURCES / "regions" / "yunnan.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed() -> str:
    files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
    if not files:
        pytest.skip(
            f"seed policy document not available under {SEED_DIR}; seed-comparison tests skipped"
        )
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def all_items(catalogue: dict) -> list[dict]:
    return [item for ind in catalogue["industries"] for item in ind["items"]]


def item(catalogue: dict, item_id: str) -> dict:
    matches = [it for it in all_items(catalogue) if it["id"] == item_id]
    assert len(matches) == 1, item_id
    return matches[0]


def balanced(text: str) -> bool:
    stack: list[str] = []
    for ch in text:
        if ch in OPEN:
            stack.append(CLOSE[OPEN.index(ch)])
        elif ch in CLOSE and (not stack or stack.pop() != ch):
            return False
    return not stack


# --------------------------------------------------------------- catalogue


def test_catalogue_header(catalogue):
    assert catalogue["version"] == "2022.1"
    assert catalogue["province"] == "云南省"
    assert "附件1" in catalogue["source_title"]


def test_industries_and_item_counts(catalogue):
    inds = catalogue["industries"]
    assert len(inds) == 10
    assert [len(ind["items"]) for ind in inds] == EXPECTED_ITEM_COUNTS
    assert len(all_items(catalogue)) == 45
    assert [ind["id"] for ind in inds] == [f"I{i:02d}" for i in range(1, 11)]
    assert [ind["no"] for ind in inds] == list(range(1, 11))
    assert inds[0]["name"] == "高原特色现代农业"


def test_item_ids_unique_and_well_formed(catalogue):
    ids = [it["id"] for it in all_items(catalogue)]
    assert len(ids) == len(set(ids))
    for ind in catalogue["industries"]:
        for n, it in enumerate(ind["items"], 1):
            assert it["no"] == n
            assert it["id"] == f"{ind['id']}-{n:02d}"


def test_every_item_has_name_text_terms(catalogue):
    for it in all_items(catalogue):
        assert it["name"].strip(), it["id"]
        assert it["text"].strip(), it["id"]
        assert it["terms"], it["id"]
        assert isinstance(it["note"], str)
        assert len(it["terms"]) == len(set(it["terms"])), it["id"]


def test_item_text_is_verbatim_from_seed(catalogue, seed):
    for it in all_items(catalogue):
        assert it["text"] in seed, it["id"]
        # the text is a whole numbered line of the catalogue
        assert f"{it['no']}.{it['text']}\n" in seed, it["id"]


def test_sample_names(catalogue):
    assert item(catalogue, "I01-01")["name"] == "茶叶"
    assert item(catalogue, "I02-01")["name"] == "建筑结构领域"
    assert item(catalogue, "I06-04")["name"] == "锡基新材料"
    assert item(catalogue, "I05-01")["name"] == "打造清洁能源基地"
    assert item(catalogue, "I03-01")["name"] == "高效电池片、高效组件"
    assert item(catalogue, "I03-03")["name"] == "铝浆、银浆"
    assert item(catalogue, "I06-08")["name"] == "新材料研制、生产、验证及应用"


def test_sample_terms(catalogue):
    assert "BGA（球栅阵列封装）锡球" in item(catalogue, "I06-04")["terms"]
    assert "页岩气和煤层气（煤矿瓦斯）勘探开发利用" in item(catalogue, "I05-01")["terms"]
    assert "TOPCon电池" in item(catalogue, "I03-02")["terms"]
    assert "HJT电池" in item(catalogue, "I03-02")["terms"]
    assert "铝箔" in item(catalogue, "I06-02")["terms"]
    assert "咖啡物流" in item(catalogue, "I01-06")["terms"]
    assert "高纯锗单晶材料" in item(catalogue, "I06-05")["terms"]
    assert "ITO靶材" in item(catalogue, "I06-05")["terms"]
    assert "茶浴茶疗" in item(catalogue, "I01-01")["terms"]
    assert item(catalogue, "I03-01")["terms"] == ["高效电池片", "高效组件"]
    assert item(catalogue, "I03-03")["terms"] == ["铝浆", "银浆"]


def test_nut_scope_note(catalogue):
    nuts = item(catalogue, "I01-05")
    assert nuts["note"] == "含核桃及澳洲坚果。"
    assert not any("核桃" in t for t in nuts["terms"])


def test_terms_are_clean(catalogue):
    for it in all_items(catalogue):
        for term in it["terms"]:
            assert term == term.strip() and term, (it["id"], term)
            assert not term.endswith("等"), (it["id"], term)
            assert balanced(term), (it["id"], term)
            assert not re.search(r"[、，,；;。]", term), (it["id"], term)


def test_admission_rules(catalogue, seed):
    rules = catalogue["admission_rules"]
    assert len(rules) == 5
    assert [r["id"] for r in rules] == ["R1", "R2", "R3", "R4", "R5"]
    assert [r["check"] for r in rules] == [
        "industry_keywords",
        "industry_keywords",
        "investment_thresholds",
        "investor_dishonest",
        "manual_question",
    ]
    for r in rules:
        assert r["verdict"] == "一律不招"
        assert r["text"] in seed
        assert r["text"].endswith("一律不招。")
    assert catalogue["admission_preamble"] in seed


def test_general_conditions(catalogue, seed):
    conds = catalogue["general_conditions"]
    assert len(conds) == 4
    assert [c["verdict"] for c in conds].count("不招") == 2
    assert [c["verdict"] for c in conds].count("慎招") == 2
    for c in conds:
        assert c["text"] in seed
        assert c["text"].endswith(c["verdict"])
        assert c["question"].endswith("？")


def test_focus_directions(catalogue, seed):
    dirs = catalogue["focus_directions"]
    assert [d["name"] for d in dirs] == [
        "优势资源招商",
        "开放大通道招商",
        "延链补链强链招商",
        "区域合作招商",
        "突出高级生产要素招商",
        "聚焦新经济招商",
    ]
    for d in dirs:
        assert d["text"] in seed


def test_promotion_ways_and_project_sources(catalogue, seed):
    ways = catalogue["promotion_ways"]
    assert len(ways) == 4
    assert ways[0]["name"] == "发挥园区主体作用"
    sources = catalogue["project_sources"]
    assert len(sources) == 6
    assert sources[0]["name"] == "高端智库策划包装一批"
    for entry in ways + sources:
        assert entry["name"] in seed
        assert entry["text"] in seed


def test_targets(catalogue, seed):
    t = catalogue["targets"]
    assert t["deadline_year"] == 2024
    assert t["outside_province_funds_yi"] == 8300
    assert t["industrial_funds_yi"] == 3600
    assert t["big_project_threshold_yi"] == 10
    assert t["big_projects_count"] == 300
    assert t["big_projects_period"] == [2022, 2024]
    assert t["fortune500_count"] == 150
    assert t["funds_scope_excludes"] == ["房地产", "基础设施", "金融类"]
    for sentence in t["texts"]:
        assert sentence in seed
    assert catalogue["key_clusters"] == [
        "绿色食品",
        "绿色铝",
        "绿色硅",
        "有色金属",
        "新材料",
        "生物医药",
    ]


def test_english_names_are_ascii(catalogue):
    entries = (
        catalogue["industries"]
        + all_items(catalogue)
        + catalogue["focus_directions"]
        + catalogue["promotion_ways"]
    )
    for e in entries:
        en = e["name_en"]
        assert en.strip(), e["id"]
        assert en.isascii(), (e["id"], en)


# ----------------------------------------------------------------- regions


def test_regions_structure(regions):
    assert regions["province"] == {"code": "530000", "name": "云南省"}
    prefs = regions["prefectures"]
    assert len(prefs) == 16
    assert sum(p["name"].endswith("市") for p in prefs) == 8
    assert sum(p["name"].endswith("自治州") for p in prefs) == 8
    counties = [c for p in prefs for c in p["counties"]]
    assert len(counties) == 129


def test_region_codes(regions):
    prefs = regions["prefectures"]
    codes = [p["code"] for p in prefs] + [c["code"] for p in prefs for c in p["counties"]]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"53\d{4}", code), code
    for p in prefs:
        assert p["code"].endswith("00")
        assert p["short"] and p["short"] in p["name"]
        for c in p["counties"]:
            assert c["code"][:4] == p["code"][:4], (p["name"], c)
            assert not c["code"].endswith("00")


def test_county_type_counts(regions):
    names = [c["name"] for p in regions["prefectures"] for c in p["counties"]]
    autonomous = [n for n in names if n.endswith("自治县")]
    assert len(autonomous) == 29
    assert len([n for n in names if n.endswith("区")]) == 17
    assert len([n for n in names if n.endswith("市")]) == 18
    assert len([n for n in names if n.endswith("县") and not n.endswith("自治县")]) == 65


def test_known_county_codes(regions):
    by_name = {c["name"]: c["code"] for p in regions["prefectures"] for c in p["counties"]}
    assert by_name["五华区"] == "530102"
    assert by_name["安宁市"] == "530181"
    assert by_name["澄江市"] == "530481"
    assert by_name["弥勒市"] == "532504"
    assert by_name["蒙自市"] == "532503"
    assert by_name["文山市"] == "532601"
    assert by_name["泸水市"] == "533301"
    assert by_name["香格里拉市"] == "533401"
    assert by_name["芒市"] == "533103"
    kunming = next(p for p in regions["prefectures"] if p["code"] == "530100")
    assert len(kunming["counties"]) == 14


def test_parks(regions):
    pref_codes = {p["code"] for p in regions["prefectures"]}
    parks = regions["parks"]
    assert parks
    ids = [p["id"] for p in parks]
    assert len(ids) == len(set(ids))
    for park in parks:
        assert park["prefecture_code"] in pref_codes, park
        assert park["source"] in {"seed", "national-list"}
    names = {p["name"] for p in parks}
    assert {"昆明高新技术产业开发区", "玉溪高新技术产业开发区", "楚雄庄甸园区"} <= names


def test_seed_parks_named_in_seed(regions, seed):
    for park in regions["parks"]:
        if park["source"] == "seed":
            # the seed names border-port parks as e.g. "红河河口、昆明磨憨、德宏瑞丽边境口岸园区"
            # and FTZ sections only implicitly, so check the distinctive stem
            stem = park["name"].replace("边境口岸园区", "").replace("片区", "")
            stem = stem.replace("中国（云南）自由贸易试验区", "")
            assert stem in seed or park["name"] in seed, park
