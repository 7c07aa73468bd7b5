"""QA rules: parsing, refusals, evaluation, and the --rules option of analyze and batch."""

import json

import pytest
from click.testing import CliRunner

from callscan.cli import main
from callscan.errors import RuleError
from callscan.record.rules import And, Condition, Not, Or, load_rules, parse_condition, rules_from_mapping
from tests.support import FIXTURES, ROOT, cut

EXAMPLE = ROOT / "engine" / "record" / "active_listening.toml"


def ruleset(**whens):
    return rules_from_mapping({"rules": {name: {"when": w} for name, w in whens.items()}})


def write(tmp_path, text, name="rules.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_parse_precedence_not_and_or_and_parentheses():
    turns, overlap, mono = Condition("turns", ">", 5), Condition("overlap_s", ">=", 2.5), Condition("mode", "==", "mono")
    assert parse_condition("turns > 5 and overlap_s >= 2.5 or mode == 'mono'") == Or((And((turns, overlap)), mono))
    assert parse_condition("turns > 5 and (overlap_s >= 2.5 or mode == 'mono')") == And((turns, Or((overlap, mono))))
    assert parse_condition("not turns > 5 and overlap_s >= 2.5") == And((Not(turns), overlap))
    assert parse_condition("not (turns > 5 and overlap_s >= 2.5)") == Not(And((turns, overlap)))
    assert parse_condition("((not not mode == 'mono'))") == Not(Not(mono))
    assert parse_condition("dead_air_longest_s<-1e1") == Condition("dead_air_longest_s", "<", -10.0)


@pytest.mark.parametrize(
    "when, says",
    [
        ("interruptions_by_agnt >= 3", "did you mean interruptions_by_agent"),
        ("nonsense_field > 1", "callscan measures"),
        ("turns => 3", "cannot read"),
        ("turns = 3", "cannot read"),
        ("turns 3 > 1", "bad operator"),
        ("turns >= many", "expected a number or a quoted string"),
        ("turns >= 'three'", "is a number"),
        ("mode > 'mono'", "== or != only"),
        ("mode == 'quad'", "never 'quad'"),
        ("mode == 1", "compare it with a quoted string"),
        ("warnings == 'x'", "unknown field"),
        ("turns > 3 and", "incomplete comparison"),
        ("turns > 3 nor turns < 1", "expected 'and' or 'or'"),
        ("(turns > 3", "'(' is not closed"),
        ("turns > 3)", "unmatched ')'"),
        ("not", "incomplete comparison"),
        ("turns > 3 and not", "incomplete comparison"),
        ("() and turns > 3", "expected a field name"),
        ("turns > 3 (or turns < 1)", "expected 'and' or 'or'"),
        ("", "non-empty"),
        ("__import__('os') > 1", "unknown field '__import__'"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(when, says):
    with pytest.raises(RuleError) as exc:
        parse_condition(when, "r.toml: rule 'x'")
    assert says in str(exc.value) and "r.toml: rule 'x'" in str(exc.value)


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "no rules"),
        ("[rules.a]\ndescription = 'no condition'\n", "non-empty"),
        ("[rules.a]\nwhen = 'turns > 1'\nweight = 2\n", "unknown key(s) weight"),
        ("[rule.a]\nwhen = 'turns > 1'\n", "unknown top-level key(s) rule"),
        ("[rules]\na = 'turns > 1'\n", "must be a table"),
        ("[rules.a]\nwhen = 'turns > 1'\ndescription = 3\n", "'description' must be a string"),
        ("[rules.a\nwhen = 1", "not valid TOML"),
    ],
)
def test_bad_files_are_refused(tmp_path, text, says):
    with pytest.raises(RuleError) as exc:
        load_rules(write(tmp_path, text))
    assert says in str(exc.value)


def test_evaluation_and_null_never_fires():
    rules = ruleset(
        many_turns="turns >= 3",
        silent="dead_air_longest_s > 10",
        either="agent_talk_share > 0.9 or customer_agitation_shift > 0.2",
        both="turns >= 3 and agent_talk_share > 0.9",
        mono="mode == 'mono'",
        calm="customer_agitation_shift < 0",
    )
    record = {"status": "ok", "mode": "stereo", "turns": 3, "dead_air_longest_s": 10.0, "agent_talk_share": 0.5,
              "customer_agitation_shift": 0.25}
    assert rules.flags(record) == ["many_turns", "either"]
    nulls = dict(record, customer_agitation_shift=None, turns=None)
    assert rules.flags(nulls) == []  # `calm` does not fire on a null either
    assert rules.flags({"status": "failed", "turns": 9}) is None
    applied = rules.apply(dict(record, mode="mono"))
    assert applied["flags"] == ["many_turns", "either", "mono"]


def test_three_valued_logic_keeps_nulls_from_firing():
    rules = ruleset(
        negated="not dead_air_count > 3",
        negated_group="not (dead_air_count > 3 or turns > 100)",
        either="dead_air_count > 3 or turns >= 3",
        both="not dead_air_count > 3 and turns >= 3",
        false_part="dead_air_count > 3 and turns > 100",
        nested="(turns >= 3 or dead_air_count > 3) and not (mode == 'mono')",
    )
    known = {"status": "ok", "mode": "stereo", "turns": 3, "dead_air_count": 1}
    assert rules.flags(known) == ["negated", "negated_group", "either", "both", "nested"]
    # dead_air_count null: unknown, and not unknown is unknown; only the parts that are
    # decided without it fire (true `or` anything is true)
    unknown = dict(known, dead_air_count=None)
    assert rules.flags(unknown) == ["either", "nested"]
    assert rules.flags(dict(unknown, turns=1000)) == ["either", "nested"]  # negated_group: not (unknown or true) is false


def test_example_rules_cover_the_coaching_points():
    rules = load_rules("active-listening")  # shipped inside the package, by name
    assert rules.flags({"status": "ok"}) == load_rules(EXAMPLE).flags({"status": "ok"})
    used = set().union(*(r.condition.fields() for r in rules.rules))
    assert {"interruptions_by_agent", "dead_air_longest_s", "agent_backchannels_per_min", "agent_talk_share",
            "agent_agitation"} <= used
    assert all(r.description for r in rules.rules)


def test_analyze_with_rules_adds_flags(tmp_path):
    rules = write(tmp_path, "[rules.long_silence]\nwhen = 'dead_air_longest_s > 10'\n"
                            "[rules.busy]\nwhen = 'turns > 100'\n")
    r = CliRunner().invoke(main, ["analyze", str(FIXTURES / "demo_call.wav"), "--rules", rules])
    assert r.exit_code == 0, r.output
    record = json.loads(r.stdout)
    assert record["dead_air_longest_s"] > 10 and record["turns"] <= 100
    assert record["flags"] == ["long_silence"]
    plain = json.loads(CliRunner().invoke(main, ["analyze", str(FIXTURES / "demo_call.wav")]).stdout)
    assert "flags" not in plain


def test_bad_rules_stop_analyze_and_batch_before_any_file(tmp_path):
    bad = write(tmp_path, "[rules.x]\nwhen = 'interruptions_by_agnt >= 3'\n")
    missing_call = str(tmp_path / "no_such.wav")
    r = CliRunner().invoke(main, ["analyze", missing_call, "--rules", bad])
    assert r.exit_code == 2 and "unknown field 'interruptions_by_agnt'" in r.output and "no such file" not in r.output
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["batch", str(FIXTURES / "demo_call.wav"), "-o", str(out), "--rules", bad])
    assert r.exit_code == 2 and "interruptions_by_agnt" in r.output
    assert not out.exists()


def test_batch_with_rules_flags_every_row(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    cut(folder / "a.wav", seconds=4.0, offset_s=2.0)
    (folder / "b.wav").write_bytes(b"")
    rules = write(tmp_path, "[rules.talked]\nwhen = 'span_s > 0'\n[rules.never]\nwhen = 'turns > 1000'\n")
    config = write(tmp_path, f"rules = {json.dumps(rules)}\njobs = 1\nformat = 'jsonl'\n", "run.toml")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["batch", str(folder), "-o", str(out), "--config", config])
    assert r.exit_code == 1, r.output
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert [(row["status"], row["flags"]) for row in rows] == [("ok", ["talked"]), ("failed", None)]
    run = json.loads((out / "run.json").read_text())
    assert run["rules"] == {"talked": "span_s > 0", "never": "turns > 1000"}
    # Other rules on a rerun: nothing is analysed again, the flags follow the new rules.
    other = write(tmp_path, "[rules.never]\nwhen = 'turns > 1000'\n", "other.toml")
    r = CliRunner().invoke(main, ["batch", str(folder), "-o", str(out), "--config", config, "--rules", other])
    assert r.exit_code == 1 and "0 analysed now" in r.stderr
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]
    assert [row["flags"] for row in rows] == [[], None]


def test_shipped_rules_by_name_from_the_cli(tmp_path):
    r = CliRunner().invoke(main, ["analyze", str(FIXTURES / "demo_call.wav"), "--rules", "active-listening"])
    assert r.exit_code == 0, r.output
    assert isinstance(json.loads(r.stdout)["flags"], list)
    bad = CliRunner().invoke(main, ["analyze", str(FIXTURES / "demo_call.wav"), "--rules", "no-such-rules"])
    assert bad.exit_code == 2 and "active-listening" in bad.output
