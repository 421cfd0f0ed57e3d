"""Fits the screen: every page and dialog at 1024×768 with no control narrower than its
size hint (cut text) or outside the window (pytest-qt, real widgets, seeded data)."""

from __future__ import annotations

import pytest

from ui.fit import below_the_fold, problems
from ui.screenshot import seed_demo

SCREEN = (1024, 768)
USABLE = (1024, 728)  # minus a taskbar


@pytest.fixture
def seeded(ctx):
    records = seed_demo(ctx.store)  # the same records the docs screenshots show
    ctx.flush_changes()
    return records


def _report(found: dict[str, list[str]]) -> str:
    return "\n" + "\n".join(f"{k}: {p}" for k, v in found.items() for p in v)


def _dialogs(ctx, window, ids):
    from ui.dialogs.company_dialog import CompanyDialog
    from ui.dialogs.help_dialog import HelpDialog
    from ui.dialogs.import_dialog import ImportDialog
    from ui.dialogs.merge_dialog import MergeDialog
    from ui.dialogs.person_dialog import PersonDialog
    from ui.dialogs.profile_dialog import ProfileDialog
    from ui.dialogs.project_dialog import (
        AdmissionDialog,
        FundsDialog,
        ProjectDialog,
        StageDialog,
        ThresholdsDialog,
        TransferDialog,
    )
    from ui.dialogs.trash_dialog import TrashDialog
    from ui.dialogs.visit_dialog import VisitDialog
    from ui.pages.settings_page import AboutDialog

    pid = ids["project"]
    return {
        "新建项目": lambda: ProjectDialog(ctx, None, window),
        "编辑项目": lambda: ProjectDialog(ctx, pid, window),
        "变更阶段": lambda: StageDialog(ctx, pid, window),
        "登记到位资金": lambda: FundsDialog(ctx, pid, window),
        "流转": lambda: TransferDialog(ctx, pid, window),
        "准入预审": lambda: AdmissionDialog(ctx, pid, window),
        "准入阈值": lambda: ThresholdsDialog(ctx, window),
        "记录拜访": lambda: VisitDialog(ctx, window),
        "企业": lambda: CompanyDialog(ctx, ids["company"], window),
        "联系人": lambda: PersonDialog(ctx, ids["person"], window),
        "合并": lambda: MergeDialog(ctx, "companies", ids["company"], ids["other"]),
        "导入": lambda: ImportDialog(ctx, parent=window),
        "个人资料": lambda: ProfileDialog(ctx.store, parent=window),
        "回收站": lambda: TrashDialog(ctx, window),
        "使用说明": lambda: HelpDialog(window),
        "关于": lambda: AboutDialog(ctx, window),
    }


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1366, 768)])
def test_every_page_fits(main_window, qtbot, seeded, size):
    from ui.main_window import PAGES

    main_window.resize(*size)
    found = {}
    for spec in PAGES:
        main_window.show_page(spec.key)
        qtbot.waitUntil(lambda key=spec.key: main_window.current_page_key() == key)
        main_window.ctx.flush_changes()
        issues = problems(main_window)
        if main_window.width() > size[0] or main_window.height() > size[1]:
            issues.append(f"窗口 {main_window.width()}×{main_window.height()} 大于屏幕")
        issues += below_the_fold(main_window)
        if issues:
            found[spec.title] = issues
    assert not found, _report(found)


def test_every_dialog_fits_1024x768(main_window, qtbot, ctx, seeded):
    main_window.resize(*SCREEN)
    found = {}
    for title, make in _dialogs(ctx, main_window, seeded).items():
        dialog = make()
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        w, h = dialog.width(), dialog.height()
        issues = problems(dialog)
        if w > USABLE[0] or h > USABLE[1]:
            issues.append(f"对话框 {w}×{h} 大于屏幕 {USABLE[0]}×{USABLE[1]}")
        tabs = getattr(dialog, "tabs", None)
        if tabs is not None:
            for n in range(1, tabs.count()):
                tabs.setCurrentIndex(n)
                issues += [f"[{tabs.tabText(n)}] {p}" for p in problems(dialog)]
        if issues:
            found[title] = issues
        dialog.done(0)
    assert not found, _report(found)
