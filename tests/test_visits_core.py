"""Visits, their links and follow-ups; due/overdue; this week/quarter; drafts."""

from datetime import date

import pytest

from zsapp.contacts import companies, drafts, people, visits
from zsapp.contacts.validation import ContactsError


def test_visit_with_people_companies_items_and_followups(store):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    pid = people.create_person(store, {"name": "刘洋", "company_id": cid})
    item = store.scalar("SELECT id FROM catalogue_items ORDER BY id LIMIT 1")
    vid = visits.create_visit(
        store,
        {
            "visited_at": "2025-03-07 14:30",
            "city": "上海",
            "place": "陆家嘴",
            "kind": "推介会",
            "our_participants": "李局长",
            "notes": "对生物医药园区感兴趣",
            "outcome": "有意向",
        },
        companies=[cid],
        people=[pid],
        items=[item],
        projects=["p-later"],
        followups=[{"text": "寄送园区资料", "due_date": "2025-03-10"}, "安排实地考察@2025-04-01"],
    )
    data = visits.as_json(store, visits.get_visit(store, vid))
    assert data["visited_at"] == "2025-03-07T14:30"
    assert [c["name"] for c in data["companies"]] == ["云南白药集团股份有限公司"]
    assert [p["name"] for p in data["people"]] == ["刘洋"]
    assert data["items"][0]["id"] == item and data["projects"] == [{"id": "p-later"}]
    assert [(f["text"], f["due_date"]) for f in data["followups"]] == [
        ("寄送园区资料", "2025-03-10"),
        ("安排实地考察", "2025-04-01"),
    ]
    # searchable by company, person (pinyin), notes, city
    for query in ("白药", "liuyang", "生物医药", "上海"):
        assert [v["id"] for v in visits.list_visits(store, query)] == [vid], query
    assert visits.person_timeline(store, pid)[0]["id"] == vid


def test_visit_defaults_to_now_and_validates(store):
    vid = visits.create_visit(store, {})
    row = visits.get_visit(store, vid)
    assert row["visited_at"][:10] == date.today().isoformat() and row["kind"] == "外出拜访"
    with pytest.raises(ContactsError, match="拜访方式"):
        visits.create_visit(store, {"kind": "喝茶"})
    with pytest.raises(ContactsError, match="拜访时间"):
        visits.create_visit(store, {"visited_at": "明天下午"})
    with pytest.raises(ContactsError, match="找不到企业"):
        visits.create_visit(store, {}, companies=["nope"])
    with pytest.raises(ContactsError, match="跟进截止日期"):
        visits.create_visit(store, {}, followups=[{"text": "x", "due_date": "2025-02-30"}])
    assert store.count("visits") == 1  # the failed ones left nothing behind


def test_followups_due_overdue_and_done(store):
    today = date(2025, 3, 10)
    vid = visits.create_visit(
        store,
        {"visited_at": "2025-03-01 10:00"},
        followups=[
            {"text": "逾期的", "due_date": "2025-03-05"},
            {"text": "今天的", "due_date": "2025-03-10"},
            {"text": "下周的", "due_date": "2025-03-15"},
            {"text": "没期限的"},
        ],
    )
    due = visits.list_followups(store, due_within=0, today=today)
    assert [(f["text"], f["overdue"], f["due_today"]) for f in due] == [
        ("逾期的", True, False),
        ("今天的", False, True),
    ]
    soon = visits.list_followups(store, due_within=7, today=today)
    assert [f["text"] for f in soon] == ["逾期的", "今天的", "下周的"]
    assert len(visits.list_followups(store, today=today)) == 4
    visits.set_followup_done(store, due[0]["id"])
    assert [f["text"] for f in visits.list_followups(store, due_within=0, today=today)] == [
        "今天的"
    ]
    visits.delete_visit(store, vid)
    assert visits.list_followups(store, today=today) == []


def test_week_and_quarter_counts(store):
    start, end = visits.period_bounds("week", date(2025, 3, 12))  # a Wednesday
    assert (start, end) == ("2025-03-10", "2025-03-17")
    assert visits.period_bounds("quarter", date(2025, 11, 5)) == ("2025-10-01", "2026-01-01")
    visits.create_visit(store, {"visited_at": "2025-03-10 09:00"})
    visits.create_visit(store, {"visited_at": "2025-03-16 23:59"})
    visits.create_visit(store, {"visited_at": "2025-03-17 00:00"})
    assert visits.count_visits(store, start, end) == 2
    assert visits.count_visits(store, *visits.period_bounds("quarter", date(2025, 3, 12))) == 3


def test_drafts_are_local_and_replaceable(store):
    drafts.save_draft(store, "visit", {"notes": "半截纪要"})
    drafts.save_draft(store, "visit", {"notes": "更长的半截纪要"})
    assert drafts.load_draft(store, "visit")["notes"] == "更长的半截纪要"
    assert store.scalar("SELECT count(*) FROM outbox WHERE table_name = 'drafts'") == 0
    drafts.clear_draft(store, "visit")
    assert drafts.load_draft(store, "visit") is None
