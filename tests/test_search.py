"""Catalogue search as a Chinese officer types it: characters, pinyin, initials, Latin."""

import pytest

from zsapp import search
from zsapp.catalogue import search_catalogue


def paths(store, query, n=5):
    return [" › ".join(h.path) for h in search_catalogue(store, query, n)]


@pytest.mark.parametrize(
    "query, expected_in_top",
    [
        ("锗", "高纯锗单晶材料"),  # one character
        ("铝箔", "铝箔"),  # two characters
        ("kafei", "咖啡"),  # full pinyin
        ("kf", "咖啡"),  # initials
        ("lb", "铝箔"),  # initials
        ("TOPCon", "TOPCon电池"),  # Latin token
        ("topcon", "TOPCon电池"),  # case folded
        ("ＨＪＴ", "HJT电池"),  # full-width folded
        ("PERC", "双面PERC电池"),
        ("ITO", "ITO靶材"),
        ("BGA", "BGA（球栅阵列封装）锡球"),
        ("球栅", "BGA（球栅阵列封装）锡球"),  # inside nested brackets
        ("普洱茶", "茶叶"),  # detail text
    ],
)
def test_each_kind_of_query_finds_the_term(store, query, expected_in_top):
    found = paths(store, query)
    assert any(expected_in_top in p for p in found), found


def test_exact_term_outranks_item_industry_and_detail(store):
    hits = search_catalogue(store, "铝箔", 10)
    assert hits[0].kind == "term" and hits[0].term == "铝箔"
    kinds = [h.kind for h in hits]
    assert kinds.index("term") < kinds.index("item")


def test_item_name_outranks_industry_and_detail_text(store):
    hits = search_catalogue(store, "咖啡", 10)
    assert hits[0].kind == "item" and hits[0].item == "咖啡"
    hits = search_catalogue(store, "绿色铝", 10)
    assert hits[0].kind == "industry" and hits[0].industry == "绿色铝"


def test_hit_shows_path_and_matched_part(store):
    hit = search_catalogue(store, "kf", 1)[0]
    assert hit.path[0] == "高原特色现代农业" and hit.path[1] == "咖啡"
    assert hit.matched == "咖啡"
    term = next(h for h in search_catalogue(store, "锗", 10) if h.kind == "term")
    assert len(term.path) == 3 and term.matched == "锗"


def test_nonsense_and_empty_queries_return_nothing(store):
    assert search_catalogue(store, "") == []
    assert search_catalogue(store, "   ，。") == []
    assert search_catalogue(store, "xqzv") == []
    assert search_catalogue(store, '"; DROP TABLE catalogue_items; --') == []
    assert store.count("catalogue_items") == 45


def test_huge_query_is_handled(store):
    assert search_catalogue(store, "铝" * 5000) == []


def test_normalise_folds_width_case_and_punctuation():
    assert search.normalise("ＴＯＰＣｏｎ 电池（P型）") == "topcon电池p型"
    assert search.normalise("Kā") == "ka"


def test_polyphonic_surnames_find_person_by_surname_reading(store):
    conn = store
    conn.execute(
        "CREATE VIRTUAL TABLE search_t USING fts5(entity_id UNINDEXED, field UNINDEXED, weight UNINDEXED,"
        " display UNINDEXED, norm UNINDEXED, keys UNINDEXED, grams, py, ini, tokenize='unicode61 remove_diacritics 0')"
    )
    people = {"1": "单雄信", "2": "曾国藩", "3": "解缙", "4": "仇英", "5": "翟志刚", "6": "朴树"}
    search.index_documents(
        conn, "t", [search.Document(k, "name", v, person_name=True) for k, v in people.items()]
    )
    for query, pid in [
        ("shanxiongxin", "1"),
        ("sxx", "1"),
        ("zengguofan", "2"),
        ("xiejin", "3"),
        ("qiuying", "4"),
        ("zzg", "5"),
        ("piaoshu", "6"),
    ]:
        assert [h.entity_id for h in search.search(conn, "t", query)][:1] == [pid], query


@pytest.mark.parametrize(
    "text",
    [
        "导入测试00001号铝业有限公司",
        "abc中国银行123重庆长安汽车xyz",
        "〇一二三",
        "长沙a银行β重庆かな",
        "行长",
        "x",
        "",
    ],
)
def test_phrase_syllables_are_lazy_pinyin_of_the_whole_text(text):
    from pypinyin import Style, lazy_pinyin

    assert search._phrase_syllables(text) == lazy_pinyin(text, style=Style.NORMAL, errors="default")
