"""准入预审: every rule the catalogue holds — the 5 一律不招 rules of 准入管理 and the
不招/慎招 conditions of 总体要求 — evaluated for one project as 通过 / 不通过 / 需人工确认,
with the reason and the rule text.

Machine checks: investor 失信 flag (R4), 投资强度 and 亩均税收 against thresholds (R3),
project text against the editable 禁止/限制/淘汰/产能过剩/污染/危化 keyword lists (R1, R2).
The rest are short yes/no questions answered on the project. A missing threshold, input
or answer is 需人工确认 — never a silent pass. An override (reason + who decided, e.g.
集体决策) lets a project proceed past 在谈 despite a 不通过; overrides stay listed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from zsapp import catalogue, paths, search
from zsapp.projects.common import (
    ProjectError,
    ProjectNotFound,
    decimal_text,
    json_dict,
    parse_date,
    parse_decimal,
    prefecture_name,
    today,
)
from zsapp.store import Store

PASS, FAIL, REVIEW = "通过", "不通过", "需人工确认"
ANSWERS = ("是", "否")
KEYWORDS_SETTING = (
    "admission.keywords"  # an office-published keyword document overrides the bundled one
)
DEFAULT_QUESTIONS = {
    "R5": "项目是否危害国家安全、生态安全，或侵害社会公共利益？",
}


@dataclass
class RuleResult:
    rule_id: str
    group: str  # 准入管理 / 总体要求
    label: str  # 第1条 / 不招 / 慎招 …
    verdict: str  # the catalogue's wording: 一律不招 / 不招 / 慎招
    rule_text: str
    result: str  # 通过 / 不通过 / 需人工确认
    reason: str
    check: str  # industry_keywords / investment_thresholds / investor_dishonest / question
    question: str = ""
    answer: str = ""
    override: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def effective(self) -> str:
        return PASS if self.override else self.result

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["effective"] = self.effective
        return data


@dataclass
class Precheck:
    project_id: str
    rules: list[RuleResult]

    @property
    def summary(self) -> str:
        effective = [r.effective for r in self.rules]
        if FAIL in effective:
            return FAIL
        if REVIEW in effective:
            return REVIEW
        return PASS

    @property
    def blocking(self) -> list[RuleResult]:
        return [r for r in self.rules if r.result == FAIL and not r.override]

    @property
    def overrides(self) -> list[dict[str, Any]]:
        return [r.override | {"rule": r.label} for r in self.rules if r.override]

    def as_json(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "summary": self.summary,
            "blocking": [r.rule_id for r in self.blocking],
            "rules": [r.as_json() for r in self.rules],
        }


# -- data files --------------------------------------------------------------------------
_RULES_CACHE: dict[str, tuple[list, list]] = {}


def catalogue_rules(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(admission rules, general conditions) of the current catalogue, parsed once per version."""
    digest = store.scalar("SELECT sha256 FROM catalogue_versions WHERE is_current = 1") or ""
    if digest not in _RULES_CACHE:
        _RULES_CACHE.clear()
        _RULES_CACHE[digest] = (
            catalogue.admission_rules(store),
            catalogue.general_conditions(store),
        )
    return _RULES_CACHE[digest]


@functools.lru_cache(maxsize=4)
def _bundled(name: str) -> dict[str, Any]:
    return json.loads((paths.resources_dir() / "admission" / name).read_text(encoding="utf-8"))


def keyword_document(store: Store) -> dict[str, Any]:
    return store.get_setting(KEYWORDS_SETTING) or _bundled("keywords.json")


def set_keyword_document(store: Store, document: dict[str, Any]) -> None:
    try:
        for category in document["categories"]:
            assert category["rule"] and category["verdict"] in (FAIL, REVIEW)
            assert all(isinstance(k, str) and k.strip() for k in category["keywords"])
    except (KeyError, TypeError, AssertionError) as exc:
        raise ProjectError(f"关键词清单格式不正确：{exc!r}") from exc
    from zsapp.projects import status

    with store.transaction():
        store.set_setting(KEYWORDS_SETTING, document)
        status.refresh_all(store)
    status.ensure(store)


def reset_keyword_document(store: Store) -> None:
    from zsapp.projects import status

    with store.transaction():
        store.set_setting(KEYWORDS_SETTING, None)
        status.refresh_all(store)
    status.ensure(store)


def default_thresholds() -> list[dict[str, Any]]:
    return list(_bundled("thresholds.json").get("thresholds", []))


# -- thresholds (editable, synced) -------------------------------------------------------
def list_thresholds(store: Store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT * FROM admission_thresholds WHERE deleted = 0 ORDER BY prefecture_code, park_id, industry_id"
    )


def set_threshold(
    store: Store,
    *,
    prefecture_code: str = "",
    park_id: str = "",
    industry_id: str = "",
    min_intensity_wan: Any = None,
    min_tax_wan: Any = None,
    source: str = "",
) -> str:
    intensity = parse_decimal(min_intensity_wan, "投资强度下限（万元/亩）")
    tax = parse_decimal(min_tax_wan, "亩均税收下限（万元/亩）")
    if intensity is None and tax is None:
        raise ProjectError("请至少填写投资强度下限或亩均税收下限之一")
    if not (source or "").strip():
        raise ProjectError("请注明阈值的来源文件，便于核对")
    values = {
        "min_intensity_wan": decimal_text(intensity),
        "min_tax_wan": decimal_text(tax),
        "source": source.strip(),
    }
    with store.transaction():
        existing = store.query_one(
            "SELECT id FROM admission_thresholds WHERE deleted = 0 AND prefecture_code = ? AND park_id = ? "
            "AND industry_id = ?",
            (prefecture_code or "", park_id or "", industry_id or ""),
        )
        if existing:
            store.update("admission_thresholds", existing["id"], values)
            return existing["id"]
        return store.insert(
            "admission_thresholds",
            {
                "prefecture_code": prefecture_code or "",
                "park_id": park_id or "",
                "industry_id": industry_id or "",
                **values,
            },
        )


def delete_threshold(store: Store, threshold_id: str) -> None:
    store.delete("admission_thresholds", threshold_id)


def _applicable_threshold(
    candidates: list[dict[str, Any]],
    field_name: str,
    prefecture_code: str,
    park_id: str,
    industries: set[str],
) -> dict[str, Any] | None:
    best: tuple | None = None
    chosen = None
    for row in candidates:
        value = (row.get(field_name) or "").strip()
        if not value:
            continue
        if row.get("prefecture_code") and row["prefecture_code"] != prefecture_code:
            continue
        if row.get("park_id") and row["park_id"] != park_id:
            continue
        if row.get("industry_id") and row["industry_id"] not in industries:
            continue
        specificity = (
            4 * bool(row.get("park_id"))
            + 2 * bool(row.get("industry_id"))
            + bool(row.get("prefecture_code"))
        )
        key = (
            specificity,
            int(bool(row.get("id"))),
            Decimal(value),
        )  # stored rows win over bundled defaults; strictest
        if best is None or key > best:
            best, chosen = key, row
    return chosen


def _scope_text(store: Store, project: dict[str, Any], industries: set[str]) -> str:
    parts = [prefecture_name(project["prefecture_code"]) or "未填州市"]
    if project["park_id"]:
        park = store.get("parks", project["park_id"])
        parts.append(park["name"] if park else "园区")
    names = (
        [
            r["name"]
            for r in store.query(
                f"SELECT name FROM catalogue_industries WHERE id IN ({','.join('?' * len(industries))})",
                tuple(industries),
            )
        ]
        if industries
        else []
    )
    parts.append("、".join(names) or "未选产业")
    return " / ".join(parts)


# -- the checks --------------------------------------------------------------------------
def _keywords_check(
    store: Store, rule: dict[str, Any], project: dict[str, Any]
) -> tuple[str, str, dict]:
    text = "\n".join([project["name"], project["summary"], project["construction_content"]])
    norm = search.normalise(text)
    doc = keyword_document(store)
    categories = [c for c in doc.get("categories", []) if c.get("rule") == rule["id"]]
    count = sum(len(c.get("keywords", [])) for c in categories)
    hits = []
    for category in categories:
        for keyword in category.get("keywords", []):
            if search.normalise(keyword) and search.normalise(keyword) in norm:
                hits.append(
                    {
                        "keyword": keyword,
                        "category": category["name"],
                        "verdict": category["verdict"],
                        "source": category.get("source", ""),
                    }
                )
    if hits:
        worst = FAIL if any(h["verdict"] == FAIL for h in hits) else REVIEW
        shown = [h for h in hits if h["verdict"] == worst]
        reason = "；".join(
            f"命中{h['category']}关键词“{h['keyword']}”（{h['source']}）" for h in shown
        )
        if worst == REVIEW:
            reason += "，须人工核实是否符合准入条件"
        return worst, reason, {"hits": hits}
    if count == 0:
        return REVIEW, "本机没有该条规则的关键词清单，请人工核对", {"hits": []}
    names = "、".join(c["name"] for c in categories)
    return (
        PASS,
        (
            f"项目名称、简介和建设内容未命中{names}关键词（本机清单 {count} 个词，版本 {doc.get('version', '')}）"
        ),
        {"hits": []},
    )


def _thresholds_check(
    store: Store, project: dict[str, Any], industries: set[str]
) -> tuple[str, str, dict]:
    candidates = list_thresholds(store) + default_thresholds()
    details: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    total = project["total_investment_wan"]
    land = parse_decimal(project["land_mu"], "用地") if project["land_mu"] else None
    tax = (
        parse_decimal(project["tax_per_mu_wan"], "亩均税收") if project["tax_per_mu_wan"] else None
    )
    scope = _scope_text(store, project, industries)
    intensity = None
    if total is not None and land:
        intensity = (Decimal(total) / land).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        details["intensity_wan_per_mu"] = decimal_text(intensity)
    for field_name, label, value, missing in (
        ("min_intensity_wan", "投资强度", intensity, "缺少总投资或用地面积，无法计算投资强度"),
        ("min_tax_wan", "预期亩均税收", tax, "未填写预期亩均税收"),
    ):
        threshold = _applicable_threshold(
            candidates, field_name, project["prefecture_code"], project["park_id"], industries
        )
        if value is None:
            problems.append((REVIEW, missing))
            continue
        if threshold is None:
            problems.append(
                (
                    REVIEW,
                    f"{label} {decimal_text(value)} 万元/亩：没有适用于（{scope}）的{label}下限，需人工确认",
                )
            )
            continue
        minimum = Decimal(threshold[field_name])
        details[field_name] = {
            "minimum": decimal_text(minimum),
            "source": threshold.get("source", ""),
        }
        if value < minimum:
            problems.append(
                (
                    FAIL,
                    f"{label} {decimal_text(value)} 万元/亩，低于下限 {decimal_text(minimum)} 万元/亩（{threshold.get('source', '')}）",
                )
            )
        else:
            problems.append(
                (
                    PASS,
                    f"{label} {decimal_text(value)} 万元/亩，不低于下限 {decimal_text(minimum)} 万元/亩（{threshold.get('source', '')}）",
                )
            )
    results = [p[0] for p in problems]
    verdict = FAIL if FAIL in results else REVIEW if REVIEW in results else PASS
    return verdict, "；".join(p[1] for p in problems), details


def _dishonest_check(store: Store, project_id: str) -> tuple[str, str, dict]:
    investors = store.query(
        "SELECT c.id, c.name, c.is_dishonest, c.dishonest_date, c.dishonest_source FROM project_investors pi "
        "JOIN companies c ON c.id = pi.company_id AND c.deleted = 0 "
        "WHERE pi.project_id = ? AND pi.deleted = 0 ORDER BY c.name",
        (project_id,),
    )
    if not investors:
        return REVIEW, "尚未关联投资方企业，无法核对失信情况", {"investors": []}
    bad = [c for c in investors if c["is_dishonest"]]
    details = {"investors": [c["name"] for c in investors], "dishonest": [c["name"] for c in bad]}
    if bad:
        parts = []
        for c in bad:
            extra = "，".join(x for x in (c["dishonest_date"], c["dishonest_source"]) if x)
            parts.append(f"投资方“{c['name']}”已标记为失信主体" + (f"（{extra}）" if extra else ""))
        return FAIL, "；".join(parts), details
    names = "、".join(c["name"] for c in investors)
    return PASS, f"投资方 {names} 均未标记为失信主体（以客商资料中的失信标记为准）", details


def _question_check(
    rule_id: str, verdict: str, question: str, answers: dict[str, str]
) -> tuple[str, str, dict]:
    answer = answers.get(rule_id, "")
    if answer == "否":
        return PASS, f"已答：否（{question}）", {}
    if answer == "是":
        if verdict == "慎招":
            return REVIEW, "已答：是。属于慎招情形，须经集体决策后方可推进", {}
        return FAIL, f"已答：是。属于{verdict}情形", {}
    return REVIEW, f"待回答：{question}", {}


def overrides(store: Store, project_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, rule_id, reason, decided_by, decided_on, created_at FROM admission_overrides "
        "WHERE project_id = ? AND deleted = 0 ORDER BY decided_on, created_at",
        (project_id,),
    )


def record_override(
    store: Store,
    project_id: str,
    rule_id: str,
    reason: str,
    decided_by: str,
    on: str | dt.date | None = None,
) -> str:
    reason, decided_by = (reason or "").strip(), (decided_by or "").strip()
    if not reason:
        raise ProjectError("放行必须填写理由")
    if not decided_by:
        raise ProjectError("放行必须填写决策人或决策机制（如：州市招商引资集体决策会议）")
    day = parse_date(on, "决策日期") if on else today()
    with store.transaction():
        if not store.get("projects", project_id):
            raise ProjectNotFound("找不到该项目")
        known = {r["id"] for r in catalogue.admission_rules(store)} | {
            c["id"] for c in catalogue.general_conditions(store)
        }
        if rule_id not in known:
            raise ProjectError(f"没有编号为“{rule_id}”的准入规则，可选：{'、'.join(sorted(known))}")
        return store.insert(
            "admission_overrides",
            {
                "project_id": project_id,
                "rule_id": rule_id,
                "reason": reason,
                "decided_by": decided_by,
                "decided_on": day.isoformat(),
            },
        )


def revoke_override(store: Store, override_id: str) -> None:
    store.delete("admission_overrides", override_id)


def set_answer(store: Store, project_id: str, rule_id: str, answer: str) -> None:
    if answer not in (*ANSWERS, ""):
        raise ProjectError("回答只能是“是”或“否”")
    with store.transaction():
        project = store.get("projects", project_id)
        if not project:
            raise ProjectNotFound("找不到该项目")
        answers = json_dict(project["answers"])
        if answer:
            answers[rule_id] = answer
        else:
            answers.pop(rule_id, None)
        store.update(
            "projects",
            project_id,
            {"answers": json.dumps(answers, ensure_ascii=False, sort_keys=True)},
        )


def questions(store: Store) -> list[dict[str, str]]:
    """The yes/no questions a project answers (rule id, question, verdict)."""
    out = []
    for rule in catalogue.admission_rules(store):
        if rule.get("check") == "manual_question":
            out.append(
                {
                    "rule_id": rule["id"],
                    "question": rule.get("question")
                    or DEFAULT_QUESTIONS.get(rule["id"], rule["text"]),
                    "verdict": rule["verdict"],
                }
            )
    for cond in catalogue.general_conditions(store):
        out.append(
            {
                "rule_id": cond["id"],
                "question": cond.get("question") or cond["text"],
                "verdict": cond["verdict"],
            }
        )
    return out


def evaluate(store: Store, project_id: str) -> Precheck:
    project = store.get("projects", project_id)
    if not project:
        raise ProjectNotFound("找不到该项目")
    industries = {
        r["industry_id"]
        for r in store.query(
            "SELECT DISTINCT ci.industry_id FROM project_items pi JOIN catalogue_items ci ON ci.id = pi.item_id "
            "WHERE pi.project_id = ? AND pi.deleted = 0",
            (project_id,),
        )
    }
    answers = json_dict(project["answers"])
    latest_override: dict[str, dict[str, Any]] = {}
    for row in overrides(store, project_id):
        latest_override[row["rule_id"]] = row
    results: list[RuleResult] = []
    rules, conditions = catalogue_rules(store)
    for rule in rules:
        check = rule.get("check", "manual_question")
        question = ""
        if check == "industry_keywords":
            result, reason, details = _keywords_check(store, rule, project)
        elif check == "investment_thresholds":
            result, reason, details = _thresholds_check(store, project, industries)
        elif check == "investor_dishonest":
            result, reason, details = _dishonest_check(store, project_id)
        else:
            check = "question"
            question = rule.get("question") or DEFAULT_QUESTIONS.get(rule["id"], rule["text"])
            result, reason, details = _question_check(rule["id"], "不招", question, answers)
        results.append(
            RuleResult(
                rule["id"],
                "准入管理",
                f"第{rule['no']}条",
                rule["verdict"],
                rule["text"],
                result,
                reason,
                check,
                question,
                answers.get(rule["id"], ""),
                latest_override.get(rule["id"]),
                details,
            )
        )
    for index, cond in enumerate(conditions, start=1):
        question = cond.get("question") or cond["text"]
        result, reason, details = _question_check(cond["id"], cond["verdict"], question, answers)
        results.append(
            RuleResult(
                cond["id"],
                "总体要求",
                f"第{index}项",
                cond["verdict"],
                cond["text"],
                result,
                reason,
                "question",
                question,
                answers.get(cond["id"], ""),
                latest_override.get(cond["id"]),
                details,
            )
        )
    return Precheck(project_id, results)


def blocking_rules(store: Store, project_id: str) -> list[RuleResult]:
    return evaluate(store, project_id).blocking
