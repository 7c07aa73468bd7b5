"""What a parameter may hold: its unit, its range and its type, written next to its default.

A parameter class (``callscan.params``) declares each field with :func:`param`, for example
``dead_air_min_s: float = param(3.0, "s", "(0, inf)")``, and inherits :class:`Checked`,
whose ``__post_init__`` checks every field at construction. Python, a batch configuration
(``callscan.batch.config``) and the command line all build parameters through that
constructor, so they share one check. A value outside its range, NaN, an infinity or a
value of the wrong type raises ``callscan.errors.ParameterError`` (a ``ValueError``)
naming the parameter by its dotted path (``measures.dead_air_min_s``), the value and the
allowed range.

Types follow the default: a float field takes a real number (an int is turned into a
float, so ``3`` and ``3.0`` hash alike); an int field takes a whole number given as an int
(a float or a bool is refused); a bool field takes only ``True`` or ``False``; a tuple
field takes a sequence of real numbers, strictly increasing, each within the range, and of
the default's length unless declared otherwise. Pairs of fields whose order matters (a
minimum and its maximum) are declared on the class in ``ORDER``.
"""

import dataclasses
import inspect
import math
import numbers
import operator
import re
from dataclasses import dataclass, field

from callscan.errors import ParameterError

_OPS = {"<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Spec:
    """Unit, range and type of one parameter.

    Attributes
    ----------
    unit : str
        Unit of the value (or of each item of a tuple), as written in the tables.
    low, high : float
        Bounds of the range (``-inf``/``inf``: unbounded on that side).
    low_open, high_open : bool
        Whether ``low`` and ``high`` themselves are excluded.
    kind : type
        ``float``, ``int``, ``bool`` or ``tuple`` (of floats).
    choices : tuple or None
        The only values allowed, when given (the range is then unused).
    length : int or None
        Number of items of a tuple (None: any number).
    increasing : bool
        Whether a tuple's items must be strictly increasing (a band, a list of thresholds);
        False for a tuple of weights.
    """

    unit: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True
    kind: type = float
    choices: tuple | None = None
    length: int | None = None
    increasing: bool = True

    def range_text(self):
        """The allowed values in words: ``> 0``, ``[0, 1]``, ``0 or 1``, ``any``."""
        if self.kind is bool:
            return "true or false"
        if self.choices is not None:
            return " or ".join(str(c) for c in self.choices)
        lo, hi = math.isfinite(self.low), math.isfinite(self.high)
        if lo and hi:
            return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
        if lo:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        if hi:
            return f"{'<' if self.high_open else '<='} {self.high:g}"
        return "any finite number" if self.kind is not int else "any whole number"

    def describe(self):
        """Range and unit, as the error messages and the table give them."""
        text = self.range_text()
        if self.kind is tuple:
            size = f"{self.length} " if self.length is not None else ""
            text = f"{size}{'increasing ' if self.increasing else ''}values, each {text}"
        return f"{text} {self.unit}".rstrip()

    def contains(self, x):
        """Whether the number ``x`` lies in the range."""
        if not math.isfinite(x):
            return False
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below

    def convert(self, name, value):
        """``value`` as this parameter holds it, or ParameterError naming ``name``."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise self._error(name, value, f"must be true or false, not {_type_name(value)}")
            return value
        if self.kind is tuple:
            if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
                raise self._error(name, value, f"must be a list of numbers, not {_type_name(value)}")
            if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in value):
                raise self._error(name, value, "must hold numbers only")
            items = tuple(float(v) for v in value)
            if not all(self.contains(v) for v in items):
                raise self._error(name, value, "has a value out of range")
            if self.length is not None and len(items) != self.length:
                raise self._error(name, value, f"must hold {self.length} values, not {len(items)}")
            if self.increasing and any(b <= a for a, b in zip(items, items[1:])):
                raise self._error(name, value, "must be strictly increasing")
            return items
        return self._number(name, value, self.kind)

    def _number(self, name, value, kind):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self._error(name, value, f"must be a number, not {_type_name(value)}")
        if kind is int and not isinstance(value, numbers.Integral):
            raise self._error(name, value, f"must be a whole number, not {_type_name(value)}")
        number = int(value) if kind is int else float(value)
        if self.choices is not None:
            if number not in self.choices:
                raise self._error(name, value, "is not one of the allowed values")
        elif not self.contains(number):
            raise self._error(name, value, "is out of range")
        return number

    def _error(self, name, value, what):
        return ParameterError(f"{name} = {value!r} {what} (allowed: {self.describe()})")


def _type_name(value):
    return "a bool" if isinstance(value, bool) else type(value).__name__


def _parse_range(text):
    """``"(0, inf)"`` or ``"[0, 1]"`` as ``(low, high, low_open, high_open)``."""
    text = text.strip()
    if text[0] not in "([" or text[-1] not in ")]":
        raise ValueError(f"not an interval: {text!r}")
    low, high = (float(part) for part in text[1:-1].split(","))
    return low, high, text[0] == "(", text[-1] == ")"


def param(default, unit, range=None, *, choices=None, length="default", increasing=True):
    """A dataclass field with its default and its :class:`Spec`.

    Parameters
    ----------
    default : float, int, bool or tuple
        The default value; its type is the parameter's type.
    unit : str
        Unit of the value (``"s"``, ``"dB"``, ``"Hz"``, ``"share 0-1"``...).
    range : str, optional
        Interval of allowed values, ``"(0, inf)"``, ``"[0, 1]"``, ``"[-200, 0]"`` (round
        brackets exclude the bound); for a tuple, the range of each item. Default: any
        finite value.
    choices : tuple, optional
        The only values allowed (instead of a range).
    length : int or None, optional
        For a tuple: the number of items (default: that of ``default``; None: any).
    increasing : bool, optional
        For a tuple: whether its items must be strictly increasing (default True).
    """
    low, high, low_open, high_open = _parse_range(range) if range else (-math.inf, math.inf, True, True)
    kind = type(default)
    if kind is tuple:
        length = len(default) if length == "default" else length
    else:
        length = None
    spec = Spec(unit, low, high, low_open, high_open, kind, choices, length, increasing)
    return field(default=default, metadata={"spec": spec})


def specs(cls):
    """``{field name: Spec}`` of a parameter class (its nested groups left out)."""
    return {f.name: f.metadata["spec"] for f in dataclasses.fields(cls) if "spec" in f.metadata}


class Checked:
    """Mixin of a frozen parameter dataclass: every field checked at construction.

    ``ORDER`` lists ``(a, op, b)`` triples (``op`` is ``"<"`` or ``"<="``) that must hold
    between two fields; a tuple field stands for its smallest item on the right of ``op``
    and its largest on the left. ``GROUP`` is the field name under which ``Params`` holds
    the class (the prefix of its dotted names; empty for ``Params`` itself).
    """

    ORDER = ()
    GROUP = ""

    def __post_init__(self):
        prefix = f"{self.GROUP}." if self.GROUP else ""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            spec = f.metadata.get("spec")
            if spec is None and f.default_factory is dataclasses.MISSING:
                continue  # declared without param(): unchecked (tests/test_params.py names it)
            if spec is None:  # a nested group
                group = f.default_factory
                if not isinstance(value, group):
                    raise ParameterError(
                        f"{prefix}{f.name} must be a {group.__name__} (a table of parameters), "
                        f"not {_type_name(value)}"
                    )
                continue
            converted = spec.convert(prefix + f.name, value)
            if converted is not value:
                object.__setattr__(self, f.name, converted)
        for a, op, b in self.ORDER:
            va, vb = getattr(self, a), getattr(self, b)
            if va == () or vb == ():  # an empty list orders against nothing
                continue
            left = max(va) if isinstance(va, tuple) else va
            right = min(vb) if isinstance(vb, tuple) else vb
            if not _OPS[op](left, right):
                raise ParameterError(
                    f"{prefix}{a} = {va!r} must be {'below' if op == '<' else 'at most'} "
                    f"{prefix}{b} = {vb!r}"
                )


def attribute_docs(cls):
    """``{field name: its one-line meaning}`` from the ``Attributes`` of the class docstring.

    The meaning is the first sentence of the field's entry; an entry naming several fields
    (``fmin_hz, fmax_hz : float``) gives each the same one.
    """
    out, text = {}, None
    for line in inspect.cleandoc(cls.__doc__ or "").splitlines():
        head = re.match(r"^([a-z_]\w*(?:, [a-z_]\w*)*) : ", line)
        if head:
            text = []
            for name in head.group(1).split(", "):
                out[name] = text
        elif text is not None and line.startswith("    "):
            text.append(line.strip())
        elif line.strip():
            text = None
    return {name: _first_sentence(" ".join(words)) for name, words in out.items()}


def _first_sentence(text):
    depth = 0
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if c == "." and depth == 0 and text[i - 1 : i] != "." and text[i + 1 : i + 2] in ("", " "):
            return text[: i + 1]
    return text.rstrip(".") + "."
