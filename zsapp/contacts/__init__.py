"""客商与拜访: companies, people, visits, follow-ups, attachments, merge, import/export.

Importing this package registers the search-index hooks of its tables with the store.
"""

from zsapp.contacts import attachments, companies, drafts, merge, people, visits  # noqa: F401
from zsapp.contacts.validation import ContactsError  # noqa: F401
