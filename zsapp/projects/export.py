"""Export projects to xlsx: projects (with 预审 and overrides), stage history, 到位资金, 流转, 放行记录."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from zsapp.projects import admission, projects
from zsapp.projects.common import ProjectError, wan_to_yi_text
from zsapp.security import exportlog
from zsapp.store import Store


def export_xlsx(store: Store, path: Path | str, f: projects.ProjectFilter | None = None) -> int:
    path = Path(path)
    rows = []
    offset = 0
    while True:
        page = projects.list_projects(
            store, f, sort="code", descending=False, limit=500, offset=offset
        )
        rows += page
        offset += len(page)
        if len(page) < 500:
            break
    wb = Workbook()
    sheet = wb.worksheets[0]  # the new workbook's one (active) sheet
    sheet.title = "项目"
    headers = [
        "项目编号",
        "项目名称",
        "阶段",
        "州市",
        "县市区",
        "园区",
        "总投资（亿元）",
        "用地（亩）",
        "投资强度（万元/亩）",
        "预期亩均税收（万元/亩）",
        "预计就业",
        "项目类别",
        "所属产业/条目",
        "投资方",
        "负责人",
        "挂钩领导",
        "省级重大项目库",
        "准入预审",
        "放行记录",
        "到位资金合计（万元）",
        "其中省外产业类（万元）",
        "疑似停滞",
    ]
    stages_sheet = wb.create_sheet("阶段记录")
    funds_sheet = wb.create_sheet("到位资金")
    transfer_sheet = wb.create_sheet("流转记录")
    override_sheet = wb.create_sheet("放行记录")
    sheets = {
        sheet: headers,
        stages_sheet: ["项目编号", "项目名称", "阶段", "日期", "说明"],
        funds_sheet: [
            "项目编号",
            "项目名称",
            "月份",
            "金额（万元）",
            "省外/省内",
            "产业类",
            "说明",
        ],
        transfer_sheet: ["项目编号", "项目名称", "日期", "原所在地", "流转至", "理由", "决策人"],
        override_sheet: [
            "项目编号",
            "项目名称",
            "规则",
            "规则原文",
            "预审结果",
            "放行理由",
            "决策人/机制",
            "决策日期",
        ],
    }
    for ws, head in sheets.items():
        ws.append(head)
        for cell in ws[1]:
            cell.font = Font(bold=True)
    for row in rows:
        p = projects.get_project(store, row["id"])
        pre = p["precheck"]
        rules_by_id = {r["rule_id"]: r for r in pre["rules"]}
        override_text = "；".join(
            f"{o['rule']}：{o['reason']}（{o['decided_by']}，{o['decided_on']}）"
            for o in p["overrides"]
        )
        sheet.append(
            [
                p["code"],
                p["name"],
                p["stage"],
                p["prefecture"],
                p["county"],
                p["park"],
                wan_to_yi_text(p["total_investment_wan"]),
                p["land_mu"],
                p["intensity_wan_per_mu"],
                p["tax_per_mu_wan"],
                p["expected_jobs"],
                p["category"],
                "；".join(f"{i['industry']} › {i['name']}" for i in p["items"]),
                "；".join(f"{i['name']}（{i['role']}）" for i in p["investors"]),
                p["owner_officer"],
                p["leader"],
                "是" if p["is_provincial_major"] else "否",
                pre["summary"],
                override_text,
                p["funds_totals"]["total_wan"],
                p["funds_totals"]["outside_industrial_wan"],
                "是" if p["stalled"] else "",
            ]
        )
        for s in p["stage_history"]:
            stages_sheet.append([p["code"], p["name"], s["stage"], s["changed_on"], s["note"]])
        for fr in p["funds"]:
            funds_sheet.append(
                [
                    p["code"],
                    p["name"],
                    fr["month"],
                    fr["amount_wan"],
                    "省外" if fr["outside_province"] else "省内",
                    "是" if fr["industrial"] else "否",
                    fr["note"],
                ]
            )
        for t in p["transfers"]:
            transfer_sheet.append(
                [
                    p["code"],
                    p["name"],
                    t["transferred_on"],
                    t["from_text"],
                    t["to_text"],
                    t["reason"],
                    t["decided_by"],
                ]
            )
        for o in p["overrides"]:
            rule = rules_by_id.get(o["rule_id"], {})
            override_sheet.append(
                [
                    p["code"],
                    p["name"],
                    o["rule"],
                    rule.get("rule_text", ""),
                    rule.get("result", ""),
                    o["reason"],
                    o["decided_by"],
                    o["decided_on"],
                ]
            )
    for ws in sheets:
        for column in ws.columns:
            letter = column[0].column_letter
            ws.column_dimensions[letter].width = min(
                40, max(10, *(len(str(c.value or "")) * 2 for c in column[:50]))
            )
    try:
        wb.save(path)
    except OSError as exc:
        raise ProjectError(f"无法写入文件 {path}：{exc}") from exc
    exportlog.record(store, "项目", "xlsx", len(rows), path)
    return len(rows)


__all__ = ["admission", "export_xlsx"]
