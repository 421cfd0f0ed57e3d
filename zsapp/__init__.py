"""招商助手 core: domain logic over the local store. Never imports Qt."""

__version__ = "0.1.0"
