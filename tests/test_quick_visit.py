"""Quick visit entry is one use case: the visit form and `zsapp visits add` find or create
the same companies and people from the same typed input; name splitting, phone display
and location lookup exist once."""

from __future__ import annotations

import pytest

from zsapp.bootstrap import open_store
from zsapp.cli import main
from zsapp.contacts import companies, people, quick, visits
from zsapp.contacts.validation import ContactsError, display_phone
from zsapp.names import split_chinese_name

TYPED_COMPANIES = ["中铝", "滇池新材料科技有限公司"]  # a short name, a new company
TYPED_PEOPLE = ["王建国", "李四"]  # an existing person, a new one
NOTES = "讨论电池铝箔项目"


def _seed(store):
    cid = companies.create_company(store, {"name": "中国铝业集团有限公司", "short_name": "中铝"})
    people.create_person(store, {"name": "王建国", "company_id": cid, "mobile": "13911112222"})


def _records(store, visit_id):
    data = visits.as_json(store, visits.get_visit(store, visit_id))
    persons = [people.get_person(store, p["id"]) for p in data["people"]]
    company_names = {c["id"]: c["name"] for c in data["companies"]}
    return {
        "companies": sorted(company_names.values()),
        "people": sorted(
            (p["name"], company_names.get(p["company_id"], p["company_id"])) for p in persons
        ),
        "notes": data["notes"],
        "all_companies": sorted(r["name"] for r in companies.list_companies(store, limit=50)),
        "all_people": sorted(r["name"] for r in people.list_people(store, limit=50)),
    }


def test_visit_form_and_cli_record_the_same_visit(qtbot, ctx, tmp_path, capsys):
    from ui.dialogs.visit_dialog import VisitDialog

    _seed(ctx.store)
    dialog = VisitDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.companies.setText("、".join(TYPED_COMPANIES))
    dialog.people.setText("、".join(TYPED_PEOPLE))
    dialog.notes.setPlainText(NOTES)
    dialog.save()
    assert dialog.saved_id, dialog.error.text()
    from_ui = _records(ctx.store, dialog.saved_id)

    cli_db = tmp_path / "cli.sqlite3"
    cli_store = open_store(cli_db)
    _seed(cli_store)
    cli_store.close()
    argv = ["--db", str(cli_db), "visits", "add", "--notes", NOTES, "--json"]
    for name in TYPED_COMPANIES:
        argv += ["--company", name]
    for name in TYPED_PEOPLE:
        argv += ["--person", name]
    assert main(argv) == 0, capsys.readouterr().err
    import json

    visit_id = json.loads(capsys.readouterr().out)["id"]
    with open_store(cli_db) as cli_store:
        from_cli = _records(cli_store, visit_id)

    assert from_ui == from_cli
    assert from_ui["companies"] == ["中国铝业集团有限公司", "滇池新材料科技有限公司"]
    # the new person works at the first company typed
    assert ("李四", "中国铝业集团有限公司") in from_ui["people"]
    assert from_ui["all_people"] == ["李四", "王建国"]  # 王建国 found, not duplicated


def test_similar_company_is_not_created_silently(store):
    _seed(store)
    plan = quick.plan_companies(store, ["中国铝业集团"])
    assert plan[0].id is None and plan[0].similar["name"] == "中国铝业集团有限公司"
    with pytest.raises(ContactsError, match="相近"):
        quick.record_visit(store, {}, companies_typed=["中国铝业集团"])
    assert store.count("visits") == 0 and store.count("companies") == 1


def test_one_name_splitter_and_one_phone_display():
    assert split_chinese_name("呼延庆") == ("呼延", "庆")
    assert split_chinese_name("欧阳明华") == ("欧阳", "明华")
    assert split_chinese_name("欧阳") == ("欧", "阳")
    assert split_chinese_name("阿卜杜·热合曼") == ("", "阿卜杜·热合曼")
    assert split_chinese_name("John Smith") == ("Smith", "John")
    assert display_phone("+8613800138000") == "138 0013 8000"
    assert display_phone("+8613800138000", international=True) == "+86 138 0013 8000"


def test_vcard_export_and_brochure_split_names_alike(store, tmp_path):
    from zsapp.brochure import qr
    from zsapp.brochure.model import OfficerContact
    from zsapp.contacts import exporter

    people.create_person(store, {"name": "呼延庆", "mobile": "13911112222"})
    path = tmp_path / "p.vcf"
    exporter.export(store, "vcf", path)
    assert "N:呼延;庆" in path.read_text(encoding="utf-8")
    card = qr.officer_vcard(OfficerContact(name="呼延庆", phone="13800138000"))
    assert "N:呼延;庆;;;" in card.splitlines()
