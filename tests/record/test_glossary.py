"""The measure glossary: from the measure modules, complete, current in the README."""

import importlib
import json

import numpy as np
import pytest
from click.testing import CliRunner

from callscan.analyze import analyze_call
from callscan.cli import main
from callscan.params import Params
from callscan.record.glossary import (
    MARK_END,
    MARK_START,
    MEASURE_MODULES,
    all_fields,
    default_of,
    field_names,
    replace_between_markers,
    to_markdown,
)
from tests.support import FIXTURES, ROOT

OPTIONAL = {"flags"}  # only with --rules


@pytest.fixture(scope="module")
def record():
    return analyze_call(str(FIXTURES / "demo_call.wav"))


def test_every_field_of_an_ok_record_is_in_the_glossary(record):
    missing = [k for k in record if k not in field_names()]
    assert missing == [], f"add these fields to FIELDS of the module that computes them: {missing}"


def test_every_glossary_field_is_in_an_ok_record(record):
    absent = [n for n in field_names() if n not in record and n not in OPTIONAL]
    assert absent == []


def test_names_are_unique_and_every_definition_is_written():
    names = field_names()
    assert len(names) == len(set(names))
    for f in all_fields():
        assert f.definition.strip().endswith("."), f.name


def test_every_measure_module_describes_its_fields():
    found = {p.stem for p in (ROOT / "engine" / "measures").glob("*.py") if hasattr(
        importlib.import_module(f"callscan.measures.{p.stem}"), "FIELDS")}
    assert found == set(MEASURE_MODULES)


def test_every_named_parameter_exists_and_its_default_is_shown():
    table = to_markdown()
    for f in all_fields():
        for path in f.params:
            default_of(path)  # raises KeyError when the parameter is gone
            assert f"`{path}`" in table
    assert "`measures.dead_air_min_s` = 3" in table
    assert "`dynamics.interrupt_grace_s` = 0.5" in table
    with pytest.raises(KeyError):
        default_of("measures.no_such_threshold")


def test_defaults_follow_the_parameters():
    changed = Params().replace(measures=Params().measures.__class__(dead_air_min_s=5.0))
    assert "`measures.dead_air_min_s` = 5" in to_markdown(changed)


def test_readme_glossary_is_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(MARK_START) == 1 and text.count(MARK_END) == 1
    assert replace_between_markers(text, to_markdown()) == text, (
        "README glossary is stale: run callscan measures --update README.md"
    )


def test_replace_between_markers_needs_the_markers():
    with pytest.raises(ValueError):
        replace_between_markers("no markers here", "| x |\n")
    text = f"a\n{MARK_START}\nold\n{MARK_END}\nb\n"
    assert replace_between_markers(text, "new\n") == f"a\n{MARK_START}\nnew\n{MARK_END}\nb\n"


def test_cli_updates_a_file_between_the_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"# title\n{MARK_START}\nold table\n{MARK_END}\ntail\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["measures", "--update", str(doc)])
    assert r.exit_code == 0, r.output
    assert doc.read_text(encoding="utf-8") == f"# title\n{MARK_START}\n{to_markdown()}{MARK_END}\ntail\n"
    (tmp_path / "plain.md").write_text("no markers", encoding="utf-8")
    r = CliRunner().invoke(main, ["measures", "--update", str(tmp_path / "plain.md")])
    assert r.exit_code == 1 and "markers" in r.output


def test_cli_lists_every_field():
    text = CliRunner().invoke(main, ["measures"]).output
    for name in field_names():
        assert name in text
    md = CliRunner().invoke(main, ["measures", "--markdown"])
    assert md.exit_code == 0 and md.output == to_markdown()


def test_mono_record_fields_are_in_the_glossary():
    rng = np.random.default_rng(1)
    x = (0.05 * rng.standard_normal(8000 * 3)).astype(np.float32)
    record = analyze_call(x, sample_rate=8000)
    assert record["mode"] == "mono"
    assert [k for k in record if k not in field_names()] == []
    assert json.loads(json.dumps(record)) == record
