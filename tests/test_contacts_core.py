"""Companies and people: validation (USCC, phones), duplicates, search, history, merge."""

import json

import pytest

from zsapp.contacts import attachments, companies, merge, people, visits
from zsapp.contacts.validation import ContactsError, normalise_phone, normalise_uscc, parse_wan

# Real, published codes (华为技术, 阿里巴巴（中国）, 腾讯科技, 中国石油天然气集团).
REAL_USCC = ["914403001922038216", "91330100716105852F", "9144030071526726XG", "91110000100017643K"]


def check_char(first17: str) -> str:
    """Independent GB 32100-2015 check: weights 3^i mod 31, charset without I O Z S V."""
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(charset.index(c) * w for c, w in zip(first17, weights, strict=False))
    return charset[(31 - total % 31) % 31]


# A 农民专业合作社 registered by 农业 (N2…), the kind python-stdnum refuses.
COOP_USCC = "N2530102MA6K1XKP2" + check_char("N2530102MA6K1XKP2")


@pytest.mark.parametrize("code", [*REAL_USCC, COOP_USCC])
def test_valid_uscc_accepted(code):
    assert normalise_uscc(code) == code
    assert normalise_uscc(" " + code.lower()[:6] + " " + code[6:] + " ") == code  # spaces, case
    assert (
        normalise_uscc("９１４４０３００１９２２０３８２１６") == "914403001922038216"
    )  # full width


@pytest.mark.parametrize(
    "code, reason",
    [
        ("914403001922038217", "校验位错误：第 18 位应为 6"),
        ("91440300192203821", "应为 18 位"),
        ("91440300192203821O", "不允许的字符：O"),
        ("9144030019220382I6", "不允许的字符：I"),
    ],
)
def test_wrong_uscc_refused_with_reason(code, reason):
    with pytest.raises(ContactsError, match=reason):
        normalise_uscc(code)


def test_company_with_bad_uscc_is_not_saved(store):
    with pytest.raises(ContactsError, match="校验位"):
        companies.create_company(store, {"name": "某某科技有限公司", "uscc": "914403001922038217"})
    assert store.count("companies") == 0


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("13800138000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0871-63123456", "+8687163123456"),
        ("(0871) 6312 3456", "+8687163123456"),
        ("+1 650-253-0000", "+16502530000"),
        ("+852 2123 4567", "+85221234567"),
        ("１３８００１３８０００", "+8613800138000"),
    ],
)
def test_phone_numbers_normalised_to_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["123", "1380013800", "abc", "+86 12345"])
def test_bad_phone_numbers_refused(raw):
    with pytest.raises(ContactsError, match="电话"):
        normalise_phone(raw)


def test_person_with_bad_mobile_is_refused_in_chinese(store):
    with pytest.raises(ContactsError, match="手机“12345”"):
        people.create_person(store, {"name": "张伟", "mobile": "12345"})
    assert store.count("people") == 0


def test_money_in_wan_is_integer():
    assert parse_wan("1.2亿") == 12000
    assert parse_wan("3,500万") == 3500
    assert parse_wan("12000") == 12000
    with pytest.raises(ContactsError):
        parse_wan("很多")


def test_same_uscc_refused_and_offers_existing(store):
    first = companies.create_company(store, {"name": "华为技术有限公司", "uscc": REAL_USCC[0]})
    with pytest.raises(companies.DuplicateCompany) as info:
        companies.create_company(store, {"name": "华为", "uscc": REAL_USCC[0]}, allow_similar=True)
    assert info.value.existing_id == first
    assert "华为技术有限公司" in str(info.value)
    other = companies.create_company(store, {"name": "另一家公司"})
    with pytest.raises(companies.DuplicateCompany):
        companies.update_company(store, other, {"uscc": REAL_USCC[0]})


@pytest.mark.parametrize(
    "existing, new",
    [
        ("华为技术有限公司", "华为技术股份有限公司"),
        ("云南白药集团股份有限公司", "云南白药"),
        ("宝马（中国）汽车贸易有限公司", "宝马汽车贸易有限公司"),
        ("中国移动通信集团有限公司", "中国 移动通信 (集团)"),
        ("华为技术有限公司", "华伟技术有限公司"),  # same pinyin
    ],
)
def test_similar_name_warns_before_saving(store, existing, new):
    companies.create_company(store, {"name": existing})
    with pytest.raises(companies.SimilarCompanyWarning) as info:
        companies.create_company(store, {"name": new})
    assert info.value.candidates[0]["name"] == existing
    companies.create_company(store, {"name": new}, allow_similar=True)
    assert store.count("companies") == 2


def test_different_names_do_not_warn(store):
    companies.create_company(store, {"name": "华为技术有限公司"})
    companies.create_company(store, {"name": "中兴通讯股份有限公司"})
    companies.create_company(store, {"name": "华能澜沧江水电股份有限公司"})
    assert store.count("companies") == 3


def test_company_search_chinese_pinyin_initials(store):
    cid = companies.create_company(
        store, {"name": "中国移动通信集团有限公司", "short_name": "中国移动"}
    )
    companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    for query in ("移动", "zgyd", "zhongguoyidong", "中国移", "ZGYD"):
        hits = companies.search_companies(store, query)
        assert hits and hits[0]["id"] == cid, query
    companies.delete_company(store, cid)
    assert companies.search_companies(store, "zgyd") == []


def test_company_fields_flags_items_tags_and_dishonest(store):
    item = store.scalar("SELECT id FROM catalogue_items ORDER BY id LIMIT 1")
    cid = companies.create_company(
        store,
        {
            "name": "某新能源科技有限公司",
            "origin_province": "江苏省",
            "origin_city": "常州市",
            "ownership": "民营",
            "is_specialized_giant": "是",
            "is_listed": "yes",
            "listing_board": "科创板",
            "listing_code": "688001",
            "revenue_wan": "2.5亿",
            "employees": "1200",
            "tags": "电池，储能",
        },
        items=[item],
    )
    row = companies.get_company(store, cid)
    assert row["region_tag"] == "长三角"  # derived from the province
    assert row["revenue_wan"] == 25000 and row["employees"] == 1200
    assert json.loads(row["tags"]) == ["电池", "储能"]
    assert companies.item_ids(store, cid) == [item]
    companies.update_company(
        store,
        cid,
        {"is_dishonest": "是", "dishonest_date": "2025/3/7", "dishonest_source": "信用中国"},
    )
    row = companies.get_company(store, cid)
    assert row["is_dishonest"] == 1 and row["dishonest_date"] == "2025-03-07"
    flt = companies.CompanyFilter(
        dishonest=True,
        flags=["is_specialized_giant"],
        tag="储能",
        item=item.split("-")[0],
        region_tag="长三角",
    )
    assert [r["id"] for r in companies.list_companies(store, flt)] == [cid]
    assert companies.list_companies(store, companies.CompanyFilter(dishonest=False)) == []
    with pytest.raises(ContactsError, match="所有制"):
        companies.update_company(store, cid, {"ownership": "私企"})
    with pytest.raises(ContactsError, match="指导目录中没有条目"):
        companies.update_company(store, cid, {}, items=["X99-99"])


def test_writes_are_sync_ready(store):
    cid = companies.create_company(store, {"name": "测试企业"})
    row = companies.get_company(store, cid)
    assert row["updated_by"] == store.device_id and row["created_at"]
    assert (
        store.scalar(
            "SELECT count(*) FROM outbox WHERE table_name = 'companies' AND row_id = ?", (cid,)
        )
        >= 1
    )
    companies.delete_company(store, cid)
    assert store.get("companies", cid, include_deleted=True)["deleted"] == 1


def test_person_moves_company_history_kept(store):
    a = companies.create_company(store, {"name": "甲公司"})
    b = companies.create_company(store, {"name": "乙公司"})
    pid = people.create_person(
        store, {"name": "李娜", "company_id": a, "title": "总监"}, since="2020-01-01"
    )
    people.update_person(store, pid, {"company_id": b, "title": "副总裁"}, on="2024-06-01")
    history = people.employment(store, pid)
    assert [(h["company_name"], h["title"], h["start_date"], h["end_date"]) for h in history] == [
        ("甲公司", "总监", "2020-01-01", "2024-06-01"),
        ("乙公司", "副总裁", "2024-06-01", ""),
    ]
    assert [p["name"] for p in people.list_people(store, company_id=b)] == ["李娜"]


def test_people_search_by_name_pinyin_and_mobile(store):
    pid = people.create_person(
        store, {"name": "单雄信", "mobile": "13912345678", "email": "shan@example.com"}
    )
    for query in ("单雄信", "shanxiongxin", "sxx", "13912345678", "1391234", "shan@"):
        assert [p["id"] for p in people.search_people(store, query)] == [pid], query


def test_merge_companies_moves_everything(store, tmp_path):
    item = store.scalar("SELECT id FROM catalogue_items ORDER BY id LIMIT 1")
    keep = companies.create_company(
        store, {"name": "华为技术有限公司", "tags": "通信"}, items=[item]
    )
    other = companies.create_company(
        store,
        {
            "name": "华为技术股份有限公司",
            "uscc": REAL_USCC[0],
            "website": "https://www.huawei.com",
            "tags": "5G",
        },
        items=[item],
        allow_similar=True,
    )
    pid = people.create_person(store, {"name": "王强", "company_id": other})
    both = visits.create_visit(store, {"notes": "两家都在"}, companies=[keep, other])
    only = visits.create_visit(store, {"notes": "只有另一家"}, companies=[other], people=[pid])
    file = tmp_path / "名片.jpg"
    file.write_bytes(b"\xff\xd8fake jpeg")
    attachments.add_attachment(store, "companies", other, file)

    merge.merge_companies(store, keep, other, {"name": "other"})

    survivor = companies.get_company(store, keep)
    assert survivor["name"] == "华为技术股份有限公司"  # picked field by field
    assert survivor["uscc"] == REAL_USCC[0]  # filled from the other
    assert survivor["website"] == "https://www.huawei.com"
    assert json.loads(survivor["tags"]) == ["通信", "5G"]
    assert people.get_person(store, pid)["company_id"] == keep
    assert [c["id"] for c in visits.linked(store, both)["companies"]] == [keep]  # no duplicate link
    assert [c["id"] for c in visits.linked(store, only)["companies"]] == [keep]
    assert [a["filename"] for a in attachments.list_attachments(store, "companies", keep)] == [
        "名片.jpg"
    ]
    assert companies.item_ids(store, keep) == [item]
    tomb = store.get("companies", other, include_deleted=True)
    assert tomb["deleted"] == 1 and tomb["merged_into"] == keep
    assert [h["id"] for h in companies.search_companies(store, "华为")] == [keep]
    assert [v["id"] for v in visits.company_timeline(store, keep)] and not visits.company_timeline(
        store, other
    )


def test_merge_chain_follows_survivor(store):
    a = companies.create_company(store, {"name": "甲"})
    b = companies.create_company(store, {"name": "乙"})
    c = companies.create_company(store, {"name": "丙"})
    merge.merge_companies(store, b, a)
    merge.merge_companies(store, c, b)
    assert store.get("companies", a, include_deleted=True)["merged_into"] == c


def test_merge_people_moves_visits(store):
    keep = people.create_person(store, {"name": "张伟", "mobile": "13800138000"})
    other = people.create_person(store, {"name": "张伟", "email": "zw@example.com"})
    vid = visits.create_visit(store, {}, people=[other])
    merge.merge_people(store, keep, other)
    assert people.get_person(store, keep)["email"] == "zw@example.com"
    assert [p["id"] for p in visits.linked(store, vid)["people"]] == [keep]
    assert store.get("people", other, include_deleted=True)["merged_into"] == keep


def test_repoint_references_for_sync(store):
    a = companies.create_company(store, {"name": "甲"})
    b = companies.create_company(store, {"name": "乙"})
    pid = people.create_person(store, {"name": "赵六", "company_id": b})
    assert merge.repoint_references(store, "companies", b, a) >= 2  # person + employment
    assert people.get_person(store, pid)["company_id"] == a


def test_attachment_stored_by_hash_and_listed(store, tmp_path, data_dir):
    cid = companies.create_company(store, {"name": "甲"})
    src = tmp_path / "介绍.pdf"
    src.write_bytes(b"%PDF-1.4 test")
    aid = attachments.add_attachment(store, "companies", cid, src)
    again = attachments.add_attachment(store, "companies", cid, src)
    [first, second] = attachments.list_attachments(store, "companies", cid)
    assert first["sha256"] == second["sha256"] and first["mime"] == "application/pdf"
    blob = data_dir / "attachments" / first["sha256"][:2] / first["sha256"]
    assert blob.read_bytes() == b"%PDF-1.4 test" and first["available"]
    attachments.remove_attachment(store, again)
    assert [a["id"] for a in attachments.list_attachments(store, "companies", cid)] == [aid]


def test_reindex_removes_every_index_row_of_the_entity(store):
    from zsapp import search

    cid = companies.create_company(store, {"name": "华为技术有限公司"})
    # an extra, stale row of the same company at an arbitrary rowid
    store.execute(
        "INSERT INTO search_companies (rowid, entity_id, field, weight, display, norm, keys, grams, py, ini) "
        "VALUES (5, ?, 'name', 30, '旧名称', '旧名称', ' 旧名称 ', '旧名 名称 称', '', '')",
        (cid,),
    )
    assert store.scalar("SELECT count(*) FROM search_companies WHERE entity_id = ?", (cid,)) == 2
    companies.update_company(store, cid, {"name": "华为终端有限公司"})
    assert [
        r["display"]
        for r in store.query("SELECT display FROM search_companies WHERE entity_id = ?", (cid,))
    ] == ["华为终端有限公司"]
    other = companies.create_company(store, {"name": "中兴通讯股份有限公司"})
    search.remove_entity(store, "companies", cid)
    assert store.scalar("SELECT count(*) FROM search_companies WHERE entity_id = ?", (other,)) == 1
