"""Change events: pages refresh from the tables a commit wrote, on the UI thread, once;
pages that do not show a table are left alone; a closed page is disconnected."""

from __future__ import annotations

import threading

from PySide6.QtCore import SIGNAL

from zsapp.contacts import companies


def _resets(model) -> list[int]:
    count = [0]
    model.modelReset.connect(lambda: count.__setitem__(0, count[0] + 1))
    return count


def test_a_save_refreshes_only_pages_showing_that_table(qtbot, main_window, ctx):
    companies_page = main_window.pages["companies"]
    brochures = main_window.pages["brochures"]
    followups = main_window.pages["home"].section("followupsSection")
    company_resets = _resets(companies_page.model)
    project_resets = _resets(brochures.projects_model)
    followup_resets = _resets(followups.model)

    with qtbot.waitSignal(ctx.data_changed) as blocker:
        companies.create_company(ctx.store, {"name": "变更通知有限公司"})
        companies.create_company(ctx.store, {"name": "第二家通知有限公司"})
        assert company_resets[0] == 0  # never in the middle of the handler that wrote
    assert "companies" in blocker.args[0]
    assert company_resets[0] == 1  # two commits, one refresh
    assert companies_page.model.rowCount() == 2
    assert project_resets[0] == 0  # 推介册 shows projects, not companies
    assert followup_resets[0] == 1  # 首页 待办 shows company names


def test_commits_on_a_worker_reach_pages_on_the_ui_thread(qtbot, main_window, ctx):
    page = main_window.show_page("companies")
    delivered_on = []
    ctx.data_changed.connect(
        lambda tables: delivered_on.append(threading.current_thread() is threading.main_thread())
    )

    def work():
        for n in range(3):
            companies.create_company(
                ctx.store, {"name": f"后台写入{n}号有限公司"}, allow_similar=True
            )
        return threading.current_thread() is threading.main_thread()

    results: list = []
    ctx.tasks.run(work, results.append, results.append)
    qtbot.waitUntil(lambda: results == [False] and page.model.rowCount() == 3, timeout=10000)
    assert delivered_on and all(delivered_on)
    assert "3" in page.status.text()


def test_a_closed_page_is_disconnected(qtbot, ctx):
    from ui.pages.companies_page import CompaniesPage

    signal = SIGNAL("data_changed(PyObject)")
    before = ctx.receivers(signal)
    page = CompaniesPage(ctx)
    assert ctx.receivers(signal) > before
    with qtbot.waitSignal(page.destroyed):
        page.deleteLater()
    assert ctx.receivers(signal) == before
    with qtbot.waitSignal(ctx.data_changed):
        companies.create_company(ctx.store, {"name": "页面关闭之后有限公司"})
