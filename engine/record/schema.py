"""The JSON Schema (draft 2020-12) of a per-call record, built from the glossary's fields.

Versioning
----------
``SCHEMA_VERSION`` is ``MAJOR.MINOR`` and is written in every record
(``schema_version``) and in the metadata of batch tables. A change that can break a
consumer (a field removed or renamed, its type, unit or *meaning* changed) bumps MAJOR;
a field added bumps MINOR. ``tests/record/test_schema.py`` holds a fingerprint of the schema per
version, so a changed schema fails the tests until the version is bumped.
"""

import copy

from callscan.fields import PARTIES
from callscan.record.glossary import all_fields

SCHEMA_VERSION = "1.1"

SCHEMA_ID = "https://callscan.invalid/schema/record"

#: Fields every record holds, failed or not.
ALWAYS = ("path", "call_id", "status", "error_kind", "error", "engine_version", "params_hash", "schema_version")

#: Fields that only some runs add: the events list, the QA flags.
OPTIONAL = ("flags",)

EVENT_KINDS = ("speech", "overlap", "interruption", "backchannel", "dead_air", "hold", "turn")

_PARTY = {"enum": [*PARTIES, None]}

EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(EVENT_KINDS)},
        "party": _PARTY,
        "start_s": {"type": "number"},
        "end_s": {"type": "number"},
        "by": _PARTY,
        "of": _PARTY,
        "rate_sps": {"type": ["number", "null"]},
    },
    "required": ["kind", "party", "start_s", "end_s"],
    "additionalProperties": False,
}


def field_schema(field):
    """The schema of one field's value."""
    if field.enum is not None:
        out = {"enum": list(field.enum) + ([None] if field.nullable else [])}
    else:
        types = [field.type] + (["null"] if field.nullable else [])
        out = {"type": types[0] if len(types) == 1 else types}
        if field.type == "array":
            out["items"] = {"type": "string"}
    out["description"] = field.definition + (f" Unit: {field.unit}." if field.unit else "")
    return out


def record_schema():
    """The JSON Schema of a record (a new dict on every call).

    Every field of the glossary is a property; ok records must hold every field but
    ``flags``; failed records hold at least the fields of ``ALWAYS``. Extra dead-air
    counts (``dead_air_count_<T>s`` for other ``dead_air_extra_s``) are allowed by pattern.
    """
    props = {}
    for f in all_fields():
        for name in f.names():
            props[name] = field_schema(f)
    props["events"] = {"type": "array", "items": copy.deepcopy(EVENT_SCHEMA)}
    measured = [n for n in props if n not in OPTIONAL and n != "events"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID}/{SCHEMA_VERSION}",
        "title": "callscan per-call record",
        "description": f"One record per input file, schema version {SCHEMA_VERSION}.",
        "type": "object",
        "properties": props,
        "patternProperties": {r"^dead_air_count_[0-9]+(\.[0-9]+)?s$": {"type": ["integer", "null"]}},
        "required": list(ALWAYS),
        "additionalProperties": False,
        "allOf": [{"if": {"properties": {"status": {"const": "ok"}}}, "then": {"required": measured}}],
        "x-schema-version": SCHEMA_VERSION,
    }
