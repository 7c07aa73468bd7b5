"""The record's contract: the glossary of its fields, its JSON Schema, and QA rules.

The names below are imported on first use: ``callscan analyze`` needs only the schema's
version, not the rules' parser (regular expressions, TOML, difflib) at every start.
"""

_SOURCES = {
    "all_fields": "glossary", "to_markdown": "glossary", "to_text": "glossary",
    "RuleSet": "rules", "load_rules": "rules",
    "SCHEMA_VERSION": "schema", "record_schema": "schema",
}

__all__ = list(_SOURCES)


def __getattr__(name):
    if name in _SOURCES:
        import importlib

        return getattr(importlib.import_module(f"callscan.record.{_SOURCES[name]}"), name)
    raise AttributeError(f"module 'callscan.record' has no attribute {name!r}")
