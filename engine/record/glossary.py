"""The measure glossary: every record field with its unit, definition, defaults and reference.

The fields come from the ``FIELDS`` tuples of the modules that compute them
(``engine/measures/*.py``) and from ``callscan.fields``; default values are read
from ``callscan.params.Params``. ``callscan measures`` prints the glossary, the README's
record section is its Markdown form, and ``callscan.record.schema`` builds the JSON Schema from
the same fields. ``callscan measures --params`` prints the parameters the same way, from the
specs beside their defaults (``callscan.paramspec``).
"""

import dataclasses
import importlib

from callscan.fields import IDENTITY, READ, TRAILER
from callscan.params import Params

#: Measure modules, in the order their fields are listed.
MEASURE_MODULES = (
    "talk",
    "hold",
    "interruptions",
    "turns",
    "pitch",
    "rate",
    "agitation",
    "quality",
    "dead_air",
)

MARK_START = "<!-- glossary:start (generated: `callscan measures --update README.md`; do not edit) -->"
MARK_END = "<!-- glossary:end -->"
PARAMS_MARK_START = "<!-- params:start (generated: `callscan measures --update README.md`; do not edit) -->"
PARAMS_MARK_END = "<!-- params:end -->"


def measure_fields():
    """The ``Field`` entries of every measure module, in ``MEASURE_MODULES`` order."""
    out = []
    for name in MEASURE_MODULES:
        module = importlib.import_module(f"callscan.measures.{name}")
        out.extend(module.FIELDS)
    return out


def all_fields():
    """Every ``Field`` of a record: identity, what was read, measures, provenance."""
    return list(IDENTITY) + list(READ) + measure_fields() + list(TRAILER)


def field_names():
    """Every concrete field name of a record (``{party}`` expanded), in glossary order."""
    return [n for f in all_fields() for n in f.names()]


def default_of(path, params=None):
    """The value of a dotted parameter path (``"measures.dead_air_min_s"``).

    Raises
    ------
    KeyError
        When ``Params`` has no such parameter.
    """
    value = params or Params()
    for part in path.split("."):
        if not hasattr(value, part):
            raise KeyError(f"no parameter {path!r} in callscan.params.Params")
        value = getattr(value, part)
    return value


def _format_default(value):
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def defaults_text(field, params=None):
    """``name = value`` of each parameter of a field, joined by ``, `` (or ``""``)."""
    return ", ".join(f"{p} = {_format_default(default_of(p, params))}" for p in field.params)


def to_text(params=None, fields=None):
    """The glossary as plain text, one block per field (``fields``: default every record field)."""
    blocks = []
    for f in all_fields() if fields is None else fields:
        lines = [", ".join(f.names()) + (f" [{f.unit}]" if f.unit else ""), f"    {f.definition}"]
        if f.params:
            lines.append(f"    defaults: {defaults_text(f, params)}")
        if f.reference:
            lines.append(f"    reference: {f.reference}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"


def _cell(text):
    return text.replace("|", "\\|")


def to_markdown(params=None, fields=None):
    """The glossary as a Markdown table (field, unit, definition, defaults, reference)."""
    rows = ["| field | unit | definition | defaults | reference |", "|---|---|---|---|---|"]
    for f in all_fields() if fields is None else fields:
        names = ", ".join(f"`{n}`" for n in f.names())
        defaults = ", ".join(f"`{p}` = {_format_default(default_of(p, params))}" for p in f.params)
        rows.append(
            f"| {names} | {_cell(f.unit)} | {_cell(f.definition)} | {_cell(defaults)} | {_cell(f.reference)} |"
        )
    return "\n".join(rows) + "\n"


def replace_between_markers(text, table, start_mark=MARK_START, end_mark=MARK_END):
    """``text`` with the part between ``MARK_START`` and ``MARK_END`` (or the marks given) replaced by ``table``.

    Raises
    ------
    ValueError
        When the markers are missing or out of order.
    """
    start = text.find(start_mark)
    end = text.find(end_mark)
    if start < 0 or end < start:
        raise ValueError(f"the markers {start_mark!r} and {end_mark!r} are missing")
    return text[: start + len(start_mark)] + "\n" + table + text[end:]


def parameter_rows():
    """Every parameter as ``(name, default, unit, range, meaning)`` strings, in ``Params`` order.

    ``name`` is the dotted path (``measures.dead_air_min_s``); unit and range come from the
    field's spec, the meaning from the first sentence of its entry in the class docstring.
    """
    from callscan.paramspec import attribute_docs, specs

    rows = []
    groups = [("", Params)] + [
        (f.name, f.default_factory) for f in dataclasses.fields(Params) if f.default_factory is not dataclasses.MISSING
    ]
    for group, cls in groups:
        meaning = attribute_docs(cls)
        prefix = f"{group}." if group else ""
        for name, spec in specs(cls).items():
            allowed = [spec.describe().removesuffix(spec.unit).strip()]
            for a, op, b in cls.ORDER:  # the pairs it is ordered against
                if name == a:
                    allowed.append(f"{op} {prefix}{b}")
                elif name == b:
                    allowed.append(f"{'>' if op == '<' else '>='} {prefix}{a}")
            path = prefix + name
            rows.append((path, _format_default(default_of(path)), spec.unit, ", ".join(allowed), meaning.get(name, "")))
    return rows


def parameters_text():
    """The parameter table as plain text, one block per parameter."""
    blocks = []
    for name, default, unit, allowed, meaning in parameter_rows():
        blocks.append(f"{name} = {default}{f' {unit}' if unit else ''}    allowed: {allowed}\n    {meaning}")
    return "\n".join(blocks) + "\n"


def parameters_markdown():
    """The parameter table in Markdown (parameter, default, unit, allowed, meaning)."""
    rows = ["| parameter | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for name, default, unit, allowed, meaning in parameter_rows():
        rows.append(f"| `{name}` | {_cell(default)} | {_cell(unit)} | {_cell(allowed)} | {_cell(meaning)} |")
    return "\n".join(rows) + "\n"
