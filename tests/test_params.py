"""Every parameter checked where it is defined: from Python, a batch configuration and the command line.

For each field of each parameter class (``callscan.params``) the values inside its declared
range construct, and NaN, infinities, values outside the range and values of the wrong type
raise ``ParameterError`` (a ``ValueError``) naming the field by its dotted path.
"""

import dataclasses
import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callscan.audio.checks import NATIVE_RATES
from callscan.batch.config import params_from_mapping, read_config
from callscan.cli import main
from callscan.errors import DecodeError, ParameterError
from callscan.params import Params
from callscan.paramspec import specs

GROUPS = {f.name: f.default_factory for f in dataclasses.fields(Params) if f.default_factory is not dataclasses.MISSING}
CLASSES = {"": Params, **GROUPS}


def _all_fields():
    out = []
    for group, cls in CLASSES.items():
        for name, spec in specs(cls).items():
            out.append((group, cls, name, spec))
    return out


FIELDS = _all_fields()
IDS = [f"{g}.{n}" if g else n for g, _, n, _ in FIELDS]


def dotted(group, name):
    return f"{group}.{name}" if group else name


def build(cls, name, value):
    """``cls`` with ``name`` set to ``value`` (Python)."""
    return cls(**{name: value})


def partners(cls, name):
    """Fields that ``name`` is ordered against (``cls.ORDER``)."""
    return {b if a == name else a for a, _, b in cls.ORDER if name in (a, b)}


# ------------------------------------------------------------------ strategies from the specs


def inside(spec):
    """Values a field must take."""
    if spec.kind is bool:
        return st.booleans()
    if spec.choices is not None:
        return st.sampled_from(spec.choices)
    if spec.kind is int:  # the int bounds here are whole numbers
        lo = -(10**9) if math.isinf(spec.low) else int(spec.low) + spec.low_open
        hi = 10**9 if math.isinf(spec.high) else int(spec.high) - spec.high_open
        return st.integers(min_value=lo, max_value=hi)
    lo = None if math.isinf(spec.low) else spec.low
    hi = None if math.isinf(spec.high) else spec.high
    number = st.floats(min_value=lo, max_value=hi, exclude_min=spec.low_open and lo is not None,
                       exclude_max=spec.high_open and hi is not None, allow_nan=False, allow_infinity=False)
    if spec.kind is tuple:
        size = spec.length
        return st.lists(number, min_size=size if size is not None else 0, max_size=size if size is not None else 4,
                        unique=True).map(lambda v: tuple(sorted(v)) if spec.increasing else tuple(v))
    return number


def outside(spec):
    """Values a field must refuse: out of range, NaN, infinities, wrong types."""
    wrong = [st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")), st.text(max_size=3),
             st.none(), st.just([]) if spec.kind is not tuple else st.just("1, 2")]
    if spec.kind is bool:
        return st.one_of(*wrong, st.integers(0, 1), st.floats(allow_nan=False))
    if spec.kind is not tuple:
        wrong.append(st.booleans())
    below = above = None
    if spec.choices is not None:
        below = st.integers().filter(lambda v: v not in spec.choices)
    elif spec.kind is int:
        wrong.append(st.floats(allow_nan=False, allow_infinity=False))  # a float where an int is expected
        if not math.isinf(spec.low):
            below = st.integers(max_value=math.ceil(spec.low) - 1 if not spec.low_open else math.floor(spec.low))
        if not math.isinf(spec.high):
            above = st.integers(min_value=math.floor(spec.high) + 1 if not spec.high_open else math.ceil(spec.high))
    else:
        if not math.isinf(spec.low):
            below = st.floats(max_value=spec.low, exclude_max=not spec.low_open, allow_nan=False, allow_infinity=False)
        if not math.isinf(spec.high):
            above = st.floats(min_value=spec.high, exclude_min=not spec.high_open, allow_nan=False,
                              allow_infinity=False)
    numbers = [s for s in (below, above) if s is not None]
    if spec.kind is tuple:
        n = spec.length or 2
        good = tuple(float(i + 1) for i in range(n))  # in range for every tuple field here
        bad_items = [s.map(lambda v, n=n: (v,) * n if n == 1 else (v, *good[1:])) for s in numbers]
        if spec.increasing:
            bad_items.append(st.just(tuple(reversed(good))) if n > 1 else st.just(good + good))  # not increasing
        bad_items += [st.just((float("nan"),) * n), st.just(("a",) * n)]
        if spec.length is not None:
            bad_items.append(st.just(good + (99.0,)))  # one value too many
        return st.one_of(*wrong, *bad_items)
    return st.one_of(*wrong, *numbers)


def _zero_is_refused(spec):
    return spec.kind in (float, int) and spec.choices is None and not spec.contains(0.0)


# ------------------------------------------------------------------ Python


def test_defaults_validate_and_every_field_has_a_spec():
    p = Params()
    for group, cls in CLASSES.items():
        declared = {f.name for f in dataclasses.fields(cls)} - set(GROUPS if cls is Params else ())
        unchecked = declared - set(specs(cls))
        assert not unchecked, f"declare {cls.__name__}.{', '.join(sorted(unchecked))} with param(default, unit, range)"
        if group:
            assert cls.GROUP == group
            assert getattr(p, group) == cls()
        for a, op, b in cls.ORDER:
            assert op in ("<", "<=") and a in declared and b in declared


def test_frequencies_stay_below_the_nyquist_frequency_of_the_lowest_rate():
    nyquist = min(NATIVE_RATES) / 2
    for group, cls, name, spec in FIELDS:
        if spec.unit == "Hz" and name != "coarse_rate_hz":
            assert spec.high <= nyquist, dotted(group, name)


@pytest.mark.parametrize("group, cls, name, spec", FIELDS, ids=IDS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_values_in_range_construct(group, cls, name, spec, data):
    value = data.draw(inside(spec))
    try:
        obj = build(cls, name, value)
    except ParameterError as exc:  # only a declared pair may refuse an in-range value
        others = partners(cls, name)
        assert others and dotted(group, name) in str(exc), str(exc)
        assert any(dotted(group, o) in str(exc) for o in others), str(exc)
        return
    got = getattr(obj, name)
    assert got == (tuple(value) if spec.kind is tuple else value)
    assert type(got) is spec.kind


@pytest.mark.parametrize("group, cls, name, spec", FIELDS, ids=IDS)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_values_outside_raise_naming_the_field(group, cls, name, spec, data):
    value = data.draw(outside(spec))
    with pytest.raises(ValueError) as info:
        build(cls, name, value)
    assert isinstance(info.value, ParameterError)
    assert str(info.value).startswith(f"{dotted(group, name)} = "), str(info.value)
    assert spec.describe() in str(info.value)


@pytest.mark.parametrize("group, cls, name, spec", FIELDS, ids=IDS)
def test_zero_negative_nan_inf_and_wrong_type_are_refused(group, cls, name, spec):
    bad = [float("nan"), float("inf"), float("-inf"), "1"]
    if spec.kind is not bool:
        bad.append(True)
    if spec.kind is int:
        bad.append(float(getattr(cls(), name)))  # the default, as a float
    if spec.kind in (float, int) and not spec.contains(-1.0):
        bad.append(-1 if spec.kind is int else -1.0)
    if _zero_is_refused(spec):
        bad.append(0 if spec.kind is int else 0.0)
    for value in bad:
        with pytest.raises(ParameterError, match=f"^{dotted(group, name)} = "):
            build(cls, name, value)


def test_inconsistent_pairs_are_refused():
    for group, cls in CLASSES.items():
        for a, op, b in cls.ORDER:
            va, vb = getattr(cls(), a), getattr(cls(), b)
            if isinstance(vb, tuple):  # a threshold above the smallest of a list
                bad = {a: vb[0] + (1.0 if op == "<=" else 0.0)}
            elif isinstance(va, tuple):
                bad = {a: tuple(v + vb for v in va)}
            else:  # swap the two values, or make them equal where "<" is needed
                bad = {a: vb, b: va} if va != vb else {a: vb}
                if op == "<=" and va == vb:
                    continue
            try:
                cls(**bad)
            except ParameterError as exc:
                message = str(exc)
                assert dotted(group, a) in message and dotted(group, b) in message, message
            else:
                raise AssertionError(f"{cls.__name__}({bad}) was accepted")
    with pytest.raises(ParameterError, match=r"pitch.fmin_hz = 600.0 must be below pitch.fmax_hz = 500.0"):
        Params().pitch.__class__(fmin_hz=600.0)


def test_numbers_are_stored_as_their_type_so_hashes_agree():
    from callscan.params import MeasureParams

    assert Params(measures=MeasureParams(dead_air_min_s=3)).hash() == Params().hash()
    assert Params(measures=MeasureParams(dead_air_extra_s=[5, 10])).hash() == Params().hash()
    assert type(MeasureParams(dead_air_min_s=3).dead_air_min_s) is float
    with pytest.raises(ParameterError, match="must be a whole number"):
        Params(agent_channel=1.0)
    with pytest.raises(ParameterError, match="^crosstalk must be a CrosstalkParams"):
        Params(crosstalk={"min_frames": 3})


def test_the_issue_examples():
    from callscan.params import MeasureParams

    for value in (-5, float("nan"), 0):
        with pytest.raises(ValueError, match=r"^measures.dead_air_min_s = .* \(allowed: > 0 s\)$"):
            MeasureParams(dead_air_min_s=value)


# ------------------------------------------------------------------ batch configuration (TOML)


def toml_value(value):
    """``value`` written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def config_file(path, group, name, value):
    table = f"[params.{group}]" if group else "[params]"
    path.write_text(f"{table}\n{name} = {toml_value(value)}\n")
    return path


def toml_bad_values(spec, default):
    """A negative, a zero (where refused), NaN, infinities and a wrong type, as TOML can hold them."""
    if spec.kind is bool:
        return [1, "yes", 0.5]
    if spec.kind is tuple:
        n = len(default) or 2
        bad = [[float("nan")] * n, [float("inf")] * n, "300, 3400", [True] * n]
        return bad + ([[-1.0] * n] if not spec.contains(-1.0) else [])
    bad = [float("nan"), float("inf"), float("-inf"), "1", True]
    if not spec.contains(-1.0):
        bad.append(-1)
    if _zero_is_refused(spec):
        bad.append(0)
    if spec.kind is int:
        bad.append(float(default))
    return [v for v in bad if not (spec.choices and v in spec.choices)]


def one_line(result):
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("group, cls, name, spec", FIELDS, ids=IDS)
def test_a_bad_value_in_a_batch_config_exits_2_with_one_line(tmp_path, group, cls, name, spec):
    runner = CliRunner()
    for value in toml_bad_values(spec, getattr(cls(), name)):
        conf = config_file(tmp_path / "run.toml", group, name, value)
        _, table = read_config(conf)
        with pytest.raises(ParameterError, match=f"^{dotted(group, name)} = "):
            params_from_mapping(table)
        r = runner.invoke(main, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--config", str(conf)])
        assert r.exit_code == 2, (value, r.output)
        line = one_line(r)
        assert f"{conf}: {dotted(group, name)} = " in line, line
        assert not (tmp_path / "out").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_field_any_bad_value_through_toml(tmp_path, data):
    group, cls, name, spec = data.draw(st.sampled_from(FIELDS))
    value = data.draw(outside(spec).filter(lambda v: v is not None and not (isinstance(v, str) and "\x00" in v)))
    if isinstance(value, str) and any(ord(c) < 32 or c == "\x7f" for c in value):
        value = "x"
    _, table = read_config(config_file(tmp_path / "run.toml", group, name, value))
    with pytest.raises(ParameterError, match=f"^{dotted(group, name)} = "):
        params_from_mapping(table)


def test_the_issue_config_exits_2_before_any_work(tmp_path):
    conf = tmp_path / "run.toml"
    conf.write_text("[params.measures]\ndead_air_min_s = -5\n")
    r = CliRunner().invoke(main, ["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--config", str(conf)])
    assert r.exit_code == 2
    assert one_line(r) == f"Error: {conf}: measures.dead_air_min_s = -5 is out of range (allowed: > 0 s)"
    conf.write_text("agent-channel = 2\n")  # an option that sets a parameter goes through its spec too
    r = CliRunner().invoke(main, ["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--config", str(conf)])
    assert r.exit_code == 2 and "agent_channel = 2 is not one of the allowed values" in one_line(r)


# ------------------------------------------------------------------ command line


@pytest.mark.parametrize("command", ["analyze", "batch", "plot", "features"])
def test_parameter_options_go_through_the_same_check(tmp_path, command):
    runner = CliRunner()
    extra = {"batch": ["-o", str(tmp_path / "out")], "plot": ["-o", str(tmp_path / "x.png")],
             "features": ["-o", str(tmp_path / "f.csv")]}.get(command, [])
    cases = [("--param", "measures.dead_air_min_s=-5", "measures.dead_air_min_s = -5 is out of range (allowed: > 0 s)"),
             ("--param", "measures.dead_air_min_s=nan", "measures.dead_air_min_s = nan"),
             ("--param", "measures.dead_air_min_s=0", "measures.dead_air_min_s = 0 is out of range"),
             ("--param", "pitch.gate=1", "pitch.gate = 1 must be true or false"),
             ("--param", "rate.band_hz=[3400, 300]", "rate.band_hz = [3400, 300] must be strictly increasing"),
             ("--param", "pitch.fmin_hz=600", "pitch.fmin_hz = 600.0 must be below pitch.fmax_hz = 500.0"),
             ("--param", "measures.no_such=1", "unknown parameter params.measures.no_such"),
             ("--param", "measures.dead_air_min_s", "--param takes NAME=VALUE")]
    if command != "features":
        cases += [("--agent-channel", v, f"agent_channel = {shown}")
                  for v, shown in (("2", "2"), ("-1", "-1"), ("1.5", "1.5"), ("nan", "nan"), ("inf", "inf"),
                                   ("x", "'x'"))]
    for option, value, expected in cases:
        r = runner.invoke(main, [command, str(tmp_path / "call.wav"), *extra, option, value])
        assert r.exit_code == 2, (option, value, r.output)
        assert expected in one_line(r), (option, value, r.output)


def test_param_options_set_the_parameters_and_win_over_the_config(tmp_path):
    import json

    from callscan.params import MeasureParams, RateParams
    from tests.support import cut

    call = cut(tmp_path / "call.wav")
    want = Params(agent_channel=0, measures=MeasureParams(dead_air_min_s=4.0), rate=RateParams(band_hz=(300.0, 3000.0)))
    r = CliRunner().invoke(main, ["analyze", call, "--agent-channel", "0", "--param", "measures.dead_air_min_s=4",
                                  "--param", "rate.band_hz=[300, 3000]"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["params_hash"] == want.hash()
    conf = tmp_path / "run.toml"
    conf.write_text("jobs = 1\nagent-channel = 0\n[params.measures]\ndead_air_min_s = 2\n"
                    "[params.rate]\nband_hz = [300, 3000]\n")
    r = CliRunner().invoke(main, ["batch", call, "-o", str(tmp_path / "out"), "--config", str(conf),
                                  "--param", "measures.dead_air_min_s=4"])
    assert r.exit_code == 0, r.output
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["params_hash"] == want.hash() and run["params"]["measures"]["dead_air_min_s"] == 4.0


@pytest.mark.parametrize("group, cls, name, spec", FIELDS, ids=IDS)
def test_every_field_through_the_param_option(tmp_path, group, cls, name, spec):
    runner = CliRunner()
    for value in toml_bad_values(spec, getattr(cls(), name)):
        text = toml_value(value)
        r = runner.invoke(main, ["analyze", str(tmp_path / "call.wav"), "--param", f"{dotted(group, name)}={text}"])
        assert r.exit_code == 2, (value, r.output)
        assert f"{dotted(group, name)} = " in one_line(r)


# ------------------------------------------------------------------ the table


def test_the_table_lists_every_parameter_from_its_spec_and_the_readme_is_current():
    from callscan.record.glossary import PARAMS_MARK_END, PARAMS_MARK_START, parameters_markdown, parameter_rows
    from callscan.record.glossary import replace_between_markers
    from tests.support import ROOT

    rows = {r[0]: r for r in parameter_rows()}
    assert list(rows) == IDS
    for group, cls, name, spec in FIELDS:
        _, default, unit, allowed, meaning = rows[dotted(group, name)]
        assert unit == spec.unit and allowed.startswith(spec.describe().removesuffix(spec.unit).strip())
        assert meaning.endswith(".") and len(meaning) > 10, name
    assert rows["measures.dead_air_min_s"][1:4] == ("3", "s", "> 0, <= measures.dead_air_extra_s")
    assert rows["pitch.fmax_hz"][3] == "[10, 4000), > pitch.fmin_hz"
    text = CliRunner().invoke(main, ["measures", "--params"]).output
    assert all(f"\n{n} = " in "\n" + text for n in IDS)
    assert "measures.dead_air_min_s = 3 s    allowed: > 0, <= measures.dead_air_extra_s\n" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert replace_between_markers(readme, parameters_markdown(), PARAMS_MARK_START, PARAMS_MARK_END) == readme, (
        "README parameter table is stale: run callscan measures --update README.md"
    )


# ------------------------------------------------------------------ the ranges are what the analysis takes


def bound_values(spec, default):
    """The edges of a field's range (just inside an open one; +-1e4 where unbounded)."""
    if spec.kind is bool:
        return [not default]
    if spec.choices is not None:
        return [c for c in spec.choices if c != default]
    step = 1 if spec.kind is int else 1e-3
    lo = -1e4 if math.isinf(spec.low) else spec.low + (step if spec.low_open else 0)
    hi = 1e4 if math.isinf(spec.high) else spec.high - (step if spec.high_open else 0)
    if spec.kind is int:
        return [int(lo), int(min(hi, 1e3))]
    if spec.kind is tuple:
        n = spec.length
        if n is None:
            return [(), (hi,)]
        return [tuple(lo + k * 10.0 for k in range(n)), tuple(hi - k * 10.0 for k in reversed(range(n)))]
    return [lo, hi]


def edge_params():
    """``(name, value, Params)`` with one field at an edge of its range, the rest default
    (edges that break a declared pair with a default are left out)."""
    out = []
    for group, cls, name, spec in FIELDS:
        for value in bound_values(spec, getattr(cls(), name)):
            try:
                params = Params(**{name: value}) if not group else Params(**{group: cls(**{name: value})})
            except ParameterError:
                continue
            out.append((dotted(group, name), value, params))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("rate", [8000, 16000])
def test_every_edge_of_every_range_is_analysed(rate):
    import numpy as np
    import soundfile as sf

    from callscan.analyze import analyze_call
    from tests.support import FIXTURES

    x, sr = sf.read(str(FIXTURES / "demo_call.wav"), dtype="float32", frames=8 * 8000)
    x = np.ascontiguousarray(x.T)
    if rate != sr:
        x = np.repeat(x, rate // sr, axis=1)
    failures = []
    for name, value, params in edge_params():
        try:
            analyze_call(x, sample_rate=rate, params=params, events=True)
        except DecodeError as exc:  # a longer minimum than the call refuses it, as it should
            if not (name == "min_duration_s" and exc.error_kind == "too_short"):
                failures.append(f"{name} = {value!r}: {exc}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            failures.append(f"{name} = {value!r}: {type(exc).__name__}: {exc}")
    assert failures == [], "\n".join(failures)
