"""Device side of delta sync with the office server (see docs/sync.md).

``client`` pushes the outbox and pulls/applies server changes, ``conflicts`` lists and
restores conflict records, ``status`` summarises the state for the CLI and the UI.
"""
