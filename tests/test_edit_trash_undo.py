"""Correct anything, lose nothing: edits of every record, the recycle bin, undo, merge
plan/unmerge with findable aliases — on a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest

from zsapp import trash, undo
from zsapp.contacts import companies, merge, people, visits
from zsapp.contacts.validation import ContactsError
from zsapp.projects import funds, stages
from zsapp.projects import projects as P
from zsapp.projects.common import ProjectError


def _visit(store):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    pid = people.create_person(store, {"name": "刘洋", "company_id": cid})
    vid = visits.create_visit(
        store,
        {"visited_at": "2026-11-03 10:00", "notes": "初谈"},
        companies=[cid],
        people=[pid],
        followups=["寄资料@2026-11-10"],
    )
    return cid, pid, vid


def test_visit_edit_with_links_and_followups(store):
    _cid, _pid, vid = _visit(store)
    other = companies.create_company(store, {"name": "中国铝业集团有限公司"})
    fid = visits.visit_followups(store, vid)[0]["id"]
    visits.update_visit(
        store,
        vid,
        {"visited_at": "2026-11-04 15:30", "notes": "补记：对园区很感兴趣"},
        companies=[other],
        people=[],
        followups=[{"id": fid, "text": "寄园区资料", "due_date": "2026-11-12"}, "回访@2026-12-01"],
    )
    data = visits.as_json(store, visits.get_visit(store, vid))
    assert data["visited_at"] == "2026-11-04T15:30" and "补记" in data["notes"]
    assert [c["name"] for c in data["companies"]] == ["中国铝业集团有限公司"]
    assert data["people"] == []
    assert [(f["text"], f["due_date"]) for f in data["followups"]] == [
        ("寄园区资料", "2026-11-12"),
        ("回访", "2026-12-01"),
    ]
    # the search index follows the edit
    assert [v["id"] for v in visits.list_visits(store, "中国铝业")] == [vid]
    assert visits.list_visits(store, "云南白药") == []
    with pytest.raises(ContactsError):
        visits.update_followup(store, fid, {"text": "  "})


def test_employment_rows_can_be_corrected(store):
    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    pid = people.create_person(store, {"name": "刘洋", "company_id": cid, "title": "经理"})
    job = people.employment(store, pid)[0]
    people.update_employment(store, job["id"], {"start_date": "2019-03-01", "title": "总经理"})
    job = people.employment(store, pid)[0]
    assert (job["start_date"], job["title"]) == ("2019-03-01", "总经理")
    with pytest.raises(ContactsError, match="早于"):
        people.update_employment(store, job["id"], {"end_date": "2018-01-01"})
    people.delete_employment(store, job["id"])
    assert people.employment(store, pid) == []
    assert [i.kind for i in trash.list_trash(store)] == ["任职经历"]


def _project(store):
    pid = P.create_project(
        store,
        name="普洱咖啡精深加工",
        item_ids=["I01-06"],
        prefecture_key="普洱",
        stage_on="2026-01-05",
    )
    return pid


def test_stage_history_backdated_with_reason_and_current_derived(store):
    pid = _project(store)
    today = dt.date(2026, 12, 1)
    stages.change_stage(store, pid, "在谈", "首谈", "2026-06-01", now=today)
    with pytest.raises(ProjectError, match="原因"):
        stages.change_stage(store, pid, "停滞", "", "2026-03-01", now=today)
    # backdating into the past is allowed with a reason; history stays ordered
    stages.change_stage(store, pid, "停滞", "补录：年初暂停", "2026-03-01", now=today)
    hist = stages.history(store, pid)
    assert [(h["changed_on"], h["stage"]) for h in hist] == [
        ("2026-01-05", "线索"),
        ("2026-03-01", "停滞"),
        ("2026-06-01", "在谈"),
    ]
    assert stages.current_stage(store, pid) == "在谈"
    # a repeat of the neighbour is refused
    with pytest.raises(ProjectError, match="在谈"):
        stages.change_stage(store, pid, "在谈", "重复", "2026-05-01", now=today)
    # editing a date re-derives the current stage
    stages.update_entry(store, hist[1]["id"], changed_on="2026-07-01", now=today)
    assert stages.current_stage(store, pid) == "停滞"
    stages.delete_entry(store, hist[1]["id"])
    assert stages.current_stage(store, pid) == "在谈"
    with pytest.raises(ProjectError, match="晚于今天"):
        stages.update_entry(store, hist[2]["id"], changed_on="2027-01-01", now=today)


def test_funds_edit_delete_and_warn_before_signing(store):
    pid = _project(store)
    fid = funds.add_funds(store, pid, "2026-02", 3000)
    assert "没有签约" in funds.warnings_for(store, pid, "2026-02")[0]
    stages.change_stage(store, pid, "签约", "", "2026-05-10", now=dt.date(2026, 12, 1))
    assert "早于签约日期（2026-05-10）" in funds.warnings_for(store, pid, "2026-02")[0]
    assert funds.warnings_for(store, pid, "2026-05") == []
    funds.update_funds(store, fid, month="2026-06", amount_wan="4500", outside_province=False)
    row = funds.rows(store, pid)[0]
    assert (row["month"], row["amount_wan"], row["outside_province"]) == ("2026-06", 4500, 0)
    assert funds.totals(store, pid)["outside_wan"] == 0
    with pytest.raises(ProjectError):
        funds.update_funds(store, fid, amount_wan="0")
    funds.delete_funds(store, fid)
    assert funds.totals(store, pid)["total_wan"] == 0
    item = trash.list_trash(store)[0]
    assert item.kind == "到位资金" and "4500 万元" in item.title
    trash.restore(store, item.table, item.id)
    assert funds.totals(store, pid)["total_wan"] == 4500


def test_recycle_bin_lists_restores_as_synced_writes_and_empties(store):
    cid, _pid, vid = _visit(store)
    project = _project(store)
    visits.delete_visit(store, vid)
    companies.delete_company(store, cid)
    P.delete_project(store, project)
    items = trash.list_trash(store)
    assert [i.kind for i in items] == ["招商项目", "企业", "拜访记录"]  # newest first
    assert "云南白药" in items[1].title
    assert companies.search_companies(store, "云南白药") == []
    before = store.pending_changes()
    restored = trash.restore_ref(store, cid[:8])
    assert restored.title == "云南白药集团股份有限公司"
    assert store.pending_changes() > before  # the restore is an outbox change: it syncs
    assert (
        store.query(
            "SELECT value FROM outbox WHERE row_id = ? AND field = 'deleted' ORDER BY seq DESC LIMIT 1",
            (cid,),
        )[0]["value"]
        == "0"
    )
    assert [c["id"] for c in companies.search_companies(store, "云南白药")] == [cid]
    # a follow-up of a deleted visit can only come back after its visit
    fid = store.scalar("SELECT id FROM followups WHERE visit_id = ?", (vid,))
    visits.delete_followup(store, fid)
    with pytest.raises(trash.TrashError, match="先恢复"):
        trash.restore(store, "followups", fid)
    assert trash.empty(store) == 3
    assert trash.list_trash(store) == []
    with pytest.raises(Exception, match="回收站里没有"):
        trash.restore_ref(store, vid)
    # tombstones stay for sync
    assert store.get("visits", vid, include_deleted=True)["deleted"] == 1


def test_undo_create_edit_delete_and_not_into_trash(store):
    journal = undo.UndoJournal(store)
    with journal.action("新建企业"):
        cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    with journal.action("修改企业"):
        companies.update_company(store, cid, {"notes": "打错了"})
    with journal.action("删除企业"):
        companies.delete_company(store, cid)
    assert [op.label for op in journal.history()] == ["删除企业", "修改企业", "新建企业"]
    assert journal.undo().label == "删除企业"
    assert companies.get_company(store, cid)["notes"] == "打错了"
    journal.undo()
    assert companies.get_company(store, cid)["notes"] == ""
    journal.undo()
    assert store.get("companies", cid) is None
    assert trash.list_trash(store) == []  # an undone create does not clutter the bin
    with pytest.raises(undo.NothingToUndo):
        journal.undo()


def test_undo_keeps_later_edits_of_other_fields_and_skips_other_threads(store):
    import threading

    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    bystander = companies.create_company(store, {"name": "中国铝业集团有限公司"})
    journal = undo.UndoJournal(store)
    with journal.action("修改备注"):
        companies.update_company(store, cid, {"notes": "A"})
        # a background write (e.g. sync) during the action is not part of it
        t = threading.Thread(
            target=lambda: companies.update_company(store, bystander, {"website": "x.cn"})
        )
        t.start()
        t.join()
    companies.update_company(store, cid, {"short_name": "白药", "website": "b.cn"})
    journal.undo()
    row = companies.get_company(store, cid)
    assert (row["notes"], row["website"], row["short_name"]) == ("", "b.cn", "白药")
    assert companies.get_company(store, bystander)["website"] == "x.cn"


def test_merge_plan_alias_search_and_unmerge(store):
    keep = companies.create_company(store, {"name": "中国铝业集团有限公司"})
    other = companies.create_company(
        store, {"name": "中铝集团", "website": "chalco.com.cn"}, allow_similar=True
    )
    people.create_person(store, {"name": "王建国", "company_id": other})
    vid = visits.create_visit(store, {"notes": "n"}, companies=[other])
    plan = merge.merge_plan(store, "companies", keep, other)
    assert {m["what"]: m["count"] for m in plan["moves"]} == {
        "联系人": 1,
        "任职经历": 1,
        "拜访记录": 1,
    }
    assert "“中铝集团”将并入“中国铝业集团有限公司”" in plan["summary"]
    merge.merge_companies(store, keep, other)
    # the merged-away name still finds the survivor
    assert [c["id"] for c in companies.search_companies(store, "中铝集团")] == [keep]
    assert companies.get_company(store, keep)["website"] == "chalco.com.cn"
    assert trash.list_trash(store) == []  # merges are undone with unmerge, not the bin
    result = merge.unmerge(store, other[:8])
    assert result["restored"] == other
    assert companies.get_company(store, other)["name"] == "中铝集团"
    assert companies.get_company(store, keep)["website"] == ""
    assert [c["name"] for c in visits.linked(store, vid)["companies"]] == ["中铝集团"]
    assert [c["id"] for c in companies.search_companies(store, "中铝集团")] == [other]
    with pytest.raises(ContactsError):
        merge.unmerge(store, other)


def test_session_undo_of_a_merge(store):
    keep = people.create_person(store, {"name": "王建国"})
    other = people.create_person(store, {"name": "王建囯", "mobile": "13911112222"})
    journal = undo.UndoJournal(store)
    with journal.action("合并联系人"):
        merge.merge_people(store, keep, other)
    assert store.get("people", other) is None
    journal.undo()
    assert people.get_person(store, other)["mobile"] == "+8613911112222"
    assert people.get_person(store, keep)["mobile"] == ""


def test_undo_of_an_import_takes_back_every_created_record(store, tmp_path):
    from test_import_export import GOOD, HEADER, write

    from zsapp.contacts import importer

    cid = companies.create_company(store, {"name": "云南白药集团股份有限公司"})
    journal = undo.UndoJournal(store)
    with journal.action("导入客商"):
        report = importer.import_file(
            store, write(tmp_path / "客商.csv", HEADER + "".join(GOOD), "utf-8")
        )
    assert report.companies_created == 3
    assert store.count("companies") == 4
    journal.undo()
    assert [c["id"] for c in store.query("SELECT id FROM companies WHERE deleted = 0")] == [cid]
    assert store.count("people") == 0
    assert companies.search_companies(store, "华为") == []


def test_names_sort_by_pinyin_in_lists(store):
    from zsapp.sorting import pinyin_sorted

    for name in [
        "中国铝业集团有限公司",
        "阿里巴巴（中国）有限公司",
        "华为技术有限公司",
        "百度在线网络技术有限公司",
    ]:
        companies.create_company(store, {"name": name}, allow_similar=True)
    rows = companies.list_companies(store)
    assert [r["name"][:2] for r in rows] == ["阿里", "百度", "华为", "中国"]
    # keyset paging continues in the same order
    page2 = companies.list_companies(store, limit=2, after=rows[1])
    assert [r["name"][:2] for r in page2] == ["华为", "中国"]
    assert pinyin_sorted(["昆明市", "大理白族自治州", "玉溪市"]) == [
        "大理白族自治州",
        "昆明市",
        "玉溪市",
    ]
