"""Render the main window to a PNG (``make screenshot``; works offscreen)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def main(out: str, page: str = "catalogue", query: str = "铝箔") -> int:
    os.environ.setdefault("ZSAPP_DATA_DIR", tempfile.mkdtemp(prefix="zsapp-shot-"))
    from ui.app import build_window, create_app

    app = create_app([sys.argv[0]])
    window = build_window(ask_profile=False)
    window.resize(1280, 800)
    window.show()
    shown = window.show_page(page)
    if page == "catalogue" and query:
        shown.search_box.setText(query)
        shown.run_search()
    app.processEvents()
    window.grab().save(out)
    print(f"saved {Path(out).resolve()}")
    window.ctx.store.close()
    return 0


def seed_demo(store) -> dict[str, str]:
    """A few records so pages show real content (screenshots, the fit test)."""
    import datetime as dt

    from zsapp import profile
    from zsapp.contacts import companies, people, visits
    from zsapp.projects import funds, stages
    from zsapp.projects import projects as P

    profile.save_profile(
        store,
        profile.OfficerProfile(
            name="张丽", phone="13800138000", unit="昆明市投资促进局", prefecture="昆明市"
        ),
    )
    cid = companies.create_company(
        store, {"name": "中国铝业集团有限公司", "ownership": "央企", "is_fortune500": 1}
    )
    other = companies.create_company(store, {"name": "中铝集团"}, allow_similar=True)
    pid = people.create_person(store, {"name": "王建国", "company_id": cid, "title": "总经理"})
    visits.create_visit(
        store,
        {"notes": "洽谈电池铝箔项目", "city": "北京"},
        companies=[cid],
        people=[pid],
        followups=["寄送园区资料@2026-12-10"],
    )
    start = dt.date.today() - dt.timedelta(days=300)
    project = P.create_project(
        store,
        name="年产10万吨电池铝箔项目",
        item_ids=["I02-04"],
        prefecture_key="昆明市",
        total_investment_yi="12.5",
        land_mu="300",
        investors=[(cid, "意向")],
        stage_on=start,
    )
    stages.change_stage(store, project, "在谈", "首谈", start + dt.timedelta(days=30))
    funds.add_funds(store, project, (start + dt.timedelta(days=60)).strftime("%Y-%m"), 5000)
    return {"company": cid, "other": other, "person": pid, "project": project}


def all_pages(out_dir: str, width: int = 1024, height: int = 768) -> int:
    """Every page (and the project dialog) at ``width``×``height`` into ``out_dir``."""
    os.environ.setdefault("ZSAPP_DATA_DIR", tempfile.mkdtemp(prefix="zsapp-shot-"))
    from ui.app import build_window, create_app
    from ui.dialogs.project_dialog import ProjectDialog
    from ui.main_window import PAGES

    app = create_app([sys.argv[0]])
    window = build_window(ask_profile=False)
    ids = seed_demo(window.ctx.store)
    window.ctx.tasks.wait(10000)
    window.resize(width, height)
    window.show()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for spec in PAGES:
        window.show_page(spec.key)
        app.processEvents()
        window.grab().save(str(out / f"{spec.key}-{width}x{height}.png"))
    dialog = ProjectDialog(window.ctx, ids["project"], window)
    dialog.show()
    for n in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(n)
        app.processEvents()
        dialog.grab().save(str(out / f"project-dialog-{n + 1}.png"))
    dialog.done(0)
    print(f"saved {len(PAGES) + dialog.tabs.count()} screenshots in {out.resolve()}")
    window.ctx.store.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["all"]:  # python -m ui.screenshot all docs/screens [W H]
        raise SystemExit(all_pages(sys.argv[2], *(int(n) for n in sys.argv[3:5])))
    raise SystemExit(main(*sys.argv[1:]))
