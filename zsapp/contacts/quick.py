"""Quick visit entry: record a visit from what an officer typed — company and person
names — finding the records they mean or creating them. The visit form and
``zsapp visits add`` both go through here, so the same input gives the same records.

Rules:

- a company is found by id (or a unique id prefix), exact name or exact short name; a
  name found nowhere is created, unless a company with a similar name exists (then the
  caller decides: :func:`plan_companies` reports it, the form asks, the CLI refuses
  unless told ``allow_similar``);
- a person is found by id, a label the type-ahead offered, or a unique live name; with
  several people of that name, the one at a company of this visit; a name found nowhere
  is created at the visit's first company.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zsapp.contacts import companies, drafts, people, visits
from zsapp.contacts.validation import ContactsError
from zsapp.store import RecordNotFound, Store

_ID = re.compile(r"[0-9a-f-]{6,36}")


@dataclass
class CompanyChoice:
    """One typed company: ``id`` of the record it means, or None to create ``name``;
    ``similar`` is an existing company with a similar name (ask before creating)."""

    name: str
    id: str | None = None
    similar: dict[str, Any] | None = None


def find_company(store: Store, ref: str) -> str | None:
    """The live company ``ref`` names (id, unique id prefix, name or short name)."""
    ref = ref.strip()
    if not ref:
        return None
    if _ID.fullmatch(ref):
        try:
            return companies.resolve(store, ref)
        except RecordNotFound:
            pass
    rows = store.query(
        "SELECT id FROM companies WHERE deleted = 0 AND name = ? LIMIT 2", (ref,)
    ) or store.query(
        "SELECT id FROM companies WHERE deleted = 0 AND short_name = ? LIMIT 2", (ref,)
    )
    if len(rows) > 1:
        raise ContactsError(f"“{ref}”对应多家企业，请使用 id")
    return rows[0]["id"] if rows else None


def plan_companies(store: Store, names: Iterable[str]) -> list[CompanyChoice]:
    """What each typed company means, before anything is written."""
    plan = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        found = find_company(store, name)
        if found:
            plan.append(CompanyChoice(name, found))
            continue
        similar = companies.find_similar(store, name)
        plan.append(CompanyChoice(name, None, similar[0] if similar else None))
    return plan


def find_person(
    store: Store, token: str, company_ids: list[str], known: Mapping[str, str] | None = None
) -> str | None:
    """The live person ``token`` means, or None (to create)."""
    token = token.strip()
    if known and token in known and store.get("people", known[token]):
        return known[token]
    if _ID.fullmatch(token):
        try:
            return people.resolve(store, token)
        except RecordNotFound:
            pass
    rows = store.query("SELECT id, company_id FROM people WHERE name = ? AND deleted = 0", (token,))
    if len(rows) <= 1:
        return rows[0]["id"] if rows else None
    here = [r["id"] for r in rows if r["company_id"] in company_ids]
    if len(here) == 1:
        return here[0]
    raise ContactsError(f"“{token}”对应多位联系人，请从提示中选择或使用 id")


def record_visit(
    store: Store,
    values: Mapping[str, Any],
    *,
    companies_typed: Iterable[str | CompanyChoice] = (),
    people_typed: Iterable[str] = (),
    known_people: Mapping[str, str] | None = None,
    allow_similar: bool = False,
    followups=(),
    projects=(),
    items=(),
    draft_key: str | None = None,
    visit_id: str | None = None,
) -> str:
    """Record a visit in one transaction, finding or creating its companies and people
    (see module docstring); ``draft_key`` is cleared in the same transaction. With
    ``visit_id``, that visit is edited instead: its fields, links and follow-ups become
    the ones given (see :func:`zsapp.contacts.visits.update_visit`)."""
    plan: list[CompanyChoice] = []
    for typed in companies_typed:
        plan += [typed] if isinstance(typed, CompanyChoice) else plan_companies(store, [typed])
    with store.transaction():
        company_ids: list[str] = []
        for choice in plan:
            if choice.id is None and choice.similar and not allow_similar:
                raise ContactsError(
                    f"“{choice.name}”与已有企业“{choice.similar['name']}”相近，"
                    "请使用已有企业的名称或 id；确需新建请允许相近名称"
                )
            company_ids.append(
                choice.id
                or companies.create_company(store, {"name": choice.name}, allow_similar=True)
            )
        person_ids = []
        for token in people_typed:
            if not token.strip():
                continue
            person_id = find_person(store, token, company_ids, known_people)
            if person_id is None:
                person_id = people.create_person(
                    store,
                    {"name": token.strip(), "company_id": company_ids[0] if company_ids else None},
                )
            person_ids.append(person_id)
        links = {
            "companies": list(dict.fromkeys(company_ids)),
            "people": list(dict.fromkeys(person_ids)),
            "followups": followups,
            "projects": projects,
            "items": items,
        }
        if visit_id:
            visits.update_visit(store, visit_id, values, **links)
        else:
            visit_id = visits.create_visit(store, values, **links)
        if draft_key:
            drafts.clear_draft(store, draft_key)
    return visit_id
