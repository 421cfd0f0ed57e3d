"""招商项目: projects drawn from the catalogue, 准入预审, stages, 到位资金, 流转, 推荐客商, dashboard.

Importing this package registers the change hooks (search index, derived status, code
collisions); bootstrap imports it through ``DOMAIN_MODULES``.
"""

# A merge of two companies (here or synced from another device) moves project investors too.
from zsapp.contacts import merge as _merge
from zsapp.projects import codes, status  # noqa: F401  (registers change hooks)
from zsapp.projects.common import ProjectError, ProjectNotFound  # noqa: F401

_merge.register_reference(
    "project_investors", "company_id", "companies", ("project_id", "company_id")
)
