"""The record's contract: the glossary of its fields, its JSON Schema, and QA rules."""

from callscan.record.glossary import all_fields, to_markdown, to_text
from callscan.record.rules import RuleSet, load_rules
from callscan.record.schema import SCHEMA_VERSION, record_schema

__all__ = ["all_fields", "to_markdown", "to_text", "RuleSet", "load_rules", "SCHEMA_VERSION", "record_schema"]
