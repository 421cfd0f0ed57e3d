"""招商助手 desktop front (PySide6). Thin views over the Qt-free core in ``zsapp``."""
