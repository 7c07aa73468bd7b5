"""QA rules: named conditions over a record; the names of those that hold become ``flags``.

A rules file is TOML with one table per rule under ``[rules]``::

    [rules.agent_interrupts]
    when = "interruptions_by_agent >= 3"
    description = "The agent talked over the customer three times or more."

``when`` is comparisons ``FIELD OP VALUE`` joined by ``and`` and ``or``, negated by
``not`` and grouped by parentheses (``not`` binds tightest, then ``and``, then ``or``).
``FIELD`` is a record field (``callscan measures``) whose values are numbers or strings;
``OP`` is one of ``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=`` (strings: ``==`` and ``!=``
only); ``VALUE`` is a number, or a quoted string for a string field.

A comparison on a field that is null in the record (a mono call, too little speech) is
*unknown*, and the logic is three-valued (Kleene's, as SQL's): ``not`` of unknown is
unknown; ``and`` is false when a part is false, else unknown when a part is unknown; ``or``
is true when a part is true, else unknown when a part is unknown. A rule fires only when its
condition is true, so a null never fires a rule, negated or not: ``not (dead_air_count > 3)``
does not fire on a call whose dead air could not be measured. Rules are checked when the file
is read, before any call is analysed; nothing in a rule is ever executed as code.
"""

import difflib
import operator
import re
import tomllib
from dataclasses import dataclass

from callscan.errors import RuleError
from callscan.record.glossary import all_fields

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
      | (?P<paren>[()])
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Condition:
    """``field op value``: unknown (None) when the record's field is null or missing."""

    field: str
    op: str
    value: object

    def truth(self, record):
        """True, False, or None (unknown) for ``record`` (a dict)."""
        x = record.get(self.field)
        if x is None:
            return None
        return bool(OPERATORS[self.op](x, self.value))

    def fields(self):
        """The record fields the condition reads."""
        return {self.field}


@dataclass(frozen=True)
class Not:
    """``not part``: unknown stays unknown."""

    part: object

    def truth(self, record):
        t = self.part.truth(record)
        return None if t is None else not t

    def fields(self):
        return self.part.fields()


@dataclass(frozen=True)
class _Junction:
    """Parts joined by ``and`` or ``or``: the ``decides`` value of any part decides the
    whole; otherwise an unknown part leaves it unknown; otherwise it is ``not decides``."""

    parts: tuple
    decides = None

    def truth(self, record):
        seen = [p.truth(record) for p in self.parts]
        return self.decides if self.decides in seen else None if None in seen else not self.decides

    def fields(self):
        return set().union(*(p.fields() for p in self.parts))


class And(_Junction):
    """``a and b and ...``: false if a part is false, else unknown if a part is unknown."""

    decides = False


class Or(_Junction):
    """``a or b or ...``: true if a part is true, else unknown if a part is unknown."""

    decides = True


@dataclass(frozen=True)
class Rule:
    """A named condition.

    Attributes
    ----------
    name : str
    when : str
        The condition as written.
    condition : Condition, Not, And or Or
        The parsed condition.
    description : str
    """

    name: str
    when: str
    condition: object
    description: str = ""

    def fires(self, record):
        """Whether the rule's condition is true for ``record`` (unknown does not fire)."""
        return self.condition.truth(record) is True


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
    """Parse a ``when`` expression (module docstring).

    Parameters
    ----------
    text : str
        E.g. ``"dead_air_longest_s > 10 or (dead_air_count >= 3 and not mode == 'mono')"``.
    where : str
        Named in error messages (the file and the rule).

    Returns
    -------
    Condition, Not, And or Or
        A single comparison, or the tree of ``not``, ``and`` and ``or`` over them.

    Raises
    ------
    callscan.errors.RuleError
        On an unknown field, a bad operator or value, or a malformed expression.
    """
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"{where}: 'when' must be a non-empty string such as \"dead_air_longest_s > 10\"")
    return _Parser(_tokens(text, where), text, where).parse()


class _Parser:
    """Recursive descent over the tokens: ``or`` of ``and`` of (``not``) atoms, an atom being a
    comparison or a parenthesised expression."""

    def __init__(self, tokens, text, where):
        self.tokens, self.text, self.where, self.i = tokens, text, where, 0
        self.fields = comparable_fields()

    def fail(self, message):
        raise RuleError(f"{self.where}: {message} in {self.text!r}")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take_word(self, word):
        if self.peek() == ("word", word):
            self.i += 1
            return True
        return False

    def parse(self):
        tree = self.either()
        if self.i < len(self.tokens):
            kind, raw = self.peek()
            self.fail("unmatched ')'" if raw == ")" else f"expected 'and' or 'or', got {raw!r}")
        return tree

    def either(self):
        parts = [self.both()]
        while self.take_word("or"):
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def both(self):
        parts = [self.negated()]
        while self.take_word("and"):
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def negated(self):
        if self.take_word("not"):
            return Not(self.negated())
        if self.peek() == ("paren", "("):
            self.i += 1
            inner = self.either()
            if self.peek() != ("paren", ")"):
                self.fail("a '(' is not closed")
            self.i += 1
            return inner
        return self.comparison()

    def comparison(self):
        if self.i + 3 > len(self.tokens):
            self.fail("incomplete comparison; write FIELD OP VALUE, e.g. turns > 5")
        (k1, name), (k2, op), (k3, raw) = self.tokens[self.i:self.i + 3]
        if k1 != "word" or name in ("and", "or", "not"):
            self.fail(f"expected a field name, got {name!r}")
        if name not in self.fields:
            close = difflib.get_close_matches(name, list(self.fields), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `callscan measures` lists the fields"
            raise RuleError(f"{self.where}: unknown field {name!r}{hint}")
        if k2 != "op":
            raise RuleError(f"{self.where}: bad operator {op!r} after {name}; use one of {' '.join(OPERATORS)}")
        self.i += 3
        return Condition(name, op, _value(k3, raw, self.fields[name], op, self.where))


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


SHIPPED = {"active-listening": "active_listening.toml"}
"""Rules files that ship with callscan, by the name ``--rules`` accepts instead of a path."""


def load_rules(path):
    """Read and check a rules file (TOML), given by its path or by a shipped name.

    Parameters
    ----------
    path : str or os.PathLike
        A TOML file, or the name of a rules file shipped with callscan (``SHIPPED``:
        ``"active-listening"``).

    Raises
    ------
    callscan.errors.RuleError
        When the file cannot be read, is not TOML, or holds a rule that cannot be used.
    """
    try:
        if str(path) in SHIPPED:
            from importlib.resources import files

            text = (files("callscan.record") / SHIPPED[str(path)]).read_bytes()
        else:
            with open(path, "rb") as f:
                text = f.read()
        data = tomllib.loads(text.decode("utf-8"))
    except OSError as exc:
        known = ", ".join(SHIPPED)
        raise RuleError(f"{path}: cannot read the rules file: {exc.strerror or exc} "
                        f"(or name a shipped one: {known})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    return rules_from_mapping(data, str(path))
