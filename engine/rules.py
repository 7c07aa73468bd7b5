"""QA rules: named conditions over a record; the names of those that hold become ``flags``.

A rules file is TOML with one table per rule under ``[rules]``::

    [rules.agent_interrupts]
    when = "interruptions_by_agent >= 3"
    description = "The agent talked over the customer three times or more."

``when`` is one or more comparisons ``FIELD OP VALUE`` joined by ``and`` and ``or``
(``and`` binds tighter than ``or``; no parentheses). ``FIELD`` is a record field
(``callscan measures``) whose values are numbers or strings; ``OP`` is one of
``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=`` (strings: ``==`` and ``!=`` only);
``VALUE`` is a number, or a quoted string for a string field. A comparison on a
field that is null in the record (a mono call, too little speech, a failed file) is
false: a null never fires a rule. Rules are checked when the file is read, before any
call is analysed; nothing in a rule is ever executed as code.
"""

import difflib
import operator
import re
import tomllib
from dataclasses import dataclass

from engine.errors import RuleError
from engine.glossary import all_fields

OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
STRING_OPERATORS = ("==", "!=")
RULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<op><=|>=|==|!=|<|>)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Condition:
    """``field op value``: false when the record's field is null or missing."""

    field: str
    op: str
    value: object

    def holds(self, record):
        """Whether the condition holds for ``record`` (a dict)."""
        x = record.get(self.field)
        if x is None:
            return False
        return bool(OPERATORS[self.op](x, self.value))


@dataclass(frozen=True)
class Rule:
    """A named condition in disjunctive form: any of the ``and`` groups holds.

    Attributes
    ----------
    name : str
    when : str
        The condition as written.
    any_of : tuple of tuple of Condition
        ``or`` of ``and`` groups.
    description : str
    """

    name: str
    when: str
    any_of: tuple
    description: str = ""

    def fires(self, record):
        """Whether the rule holds for ``record``."""
        return any(all(c.holds(record) for c in group) for group in self.any_of)


def comparable_fields():
    """``{name: Field}`` of the record fields a rule may compare (numbers and strings)."""
    return {n: f for f in all_fields() if f.type in ("number", "integer", "string") for n in f.names()}


def _tokens(text, where):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise RuleError(f"{where}: cannot read {text[pos:].strip()!r} in {text!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _value(kind, raw, field, op, where):
    """The typed value of a comparison, checked against its field."""
    if kind == "number":
        if field.type == "string":
            raise RuleError(f"{where}: {field.name} holds text; compare it with a quoted string, not {raw}")
        return float(raw) if any(ch in raw for ch in ".eE") else int(raw)
    if kind == "string":
        text = raw[1:-1]
        if field.type != "string":
            raise RuleError(f"{where}: {field.name} is a number ({field.unit or 'no unit'}), not {raw}")
        if op not in STRING_OPERATORS:
            raise RuleError(f"{where}: text fields take == or != only, not {op}")
        if field.enum is not None and text not in field.enum:
            raise RuleError(f"{where}: {field.name} is one of {', '.join(field.enum)}, never {raw}")
        return text
    raise RuleError(f"{where}: expected a number or a quoted string after {op}, got {raw!r}")


def parse_condition(text, where="rule"):
    """Parse a ``when`` expression into ``or`` groups of ``and`` conditions.

    Parameters
    ----------
    text : str
        E.g. ``"dead_air_longest_s > 10 or dead_air_count >= 3"``.
    where : str
        Named in error messages (the file and the rule).

    Returns
    -------
    tuple of tuple of Condition

    Raises
    ------
    engine.errors.RuleError
        On an unknown field, a bad operator or value, or a malformed expression.
    """
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"{where}: 'when' must be a non-empty string such as \"dead_air_longest_s > 10\"")
    fields = comparable_fields()
    tokens = _tokens(text, where)
    groups, group, i = [], [], 0
    while True:
        if i + 3 > len(tokens):
            raise RuleError(f"{where}: incomplete comparison in {text!r}; write FIELD OP VALUE, e.g. turns > 5")
        (k1, name), (k2, op), (k3, raw) = tokens[i:i + 3]
        if k1 != "word":
            raise RuleError(f"{where}: expected a field name, got {name!r} in {text!r}")
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `callscan measures` lists the fields"
            raise RuleError(f"{where}: unknown field {name!r}{hint}")
        if k2 != "op":
            raise RuleError(f"{where}: bad operator {op!r} after {name}; use one of {' '.join(OPERATORS)}")
        group.append(Condition(name, op, _value(k3, raw, fields[name], op, where)))
        i += 3
        if i == len(tokens):
            groups.append(tuple(group))
            return tuple(groups)
        kind, word = tokens[i]
        if kind != "word" or word not in ("and", "or"):
            raise RuleError(f"{where}: expected 'and' or 'or', got {word!r} in {text!r}")
        if word == "or":
            groups.append(tuple(group))
            group = []
        i += 1


class RuleSet:
    """Rules read from a file; ``apply`` adds ``flags`` to records.

    Parameters
    ----------
    rules : sequence of Rule
    source : str, optional
        Where the rules came from.
    """

    def __init__(self, rules, source=None):
        self.rules = tuple(rules)
        self.source = source

    def __len__(self):
        return len(self.rules)

    def flags(self, record):
        """Names of the rules that fire for ``record``, in file order; None for a failed record."""
        if record.get("status") != "ok":
            return None
        return [r.name for r in self.rules if r.fires(record)]

    def apply(self, record):
        """``record`` with ``flags`` set (the same dict, changed in place)."""
        record["flags"] = self.flags(record)
        return record


def rules_from_mapping(data, source="rules"):
    """Build a ``RuleSet`` from a parsed TOML document (``{"rules": {name: {...}}}``)."""
    unknown = set(data) - {"rules"}
    if unknown:
        raise RuleError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}; put rules in [rules.NAME]")
    table = data.get("rules")
    if not isinstance(table, dict) or not table:
        raise RuleError(f"{source}: no rules; write at least one [rules.NAME] table with a 'when' key")
    rules = []
    for name, body in table.items():
        where = f"{source}: rule {name!r}"
        if not RULE_NAME.match(name):
            raise RuleError(f"{where}: a rule name is letters, digits, '_', '-' or '.'")
        if not isinstance(body, dict):
            raise RuleError(f"{where}: must be a table with a 'when' key")
        extra = set(body) - {"when", "description"}
        if extra:
            raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(extra))}; a rule has 'when' and 'description'")
        description = body.get("description", "")
        if not isinstance(description, str):
            raise RuleError(f"{where}: 'description' must be a string")
        when = body.get("when")
        rules.append(Rule(name, when, parse_condition(when, where), description))
    return RuleSet(rules, source)


def load_rules(path):
    """Read and check a rules file (TOML).

    Raises
    ------
    engine.errors.RuleError
        When the file cannot be read, is not TOML, or holds a rule that cannot be used.
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the rules file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    return rules_from_mapping(data, str(path))
