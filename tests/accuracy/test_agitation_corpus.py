"""Agitation on EMO-DB anger/neutral pairs and on synthetic calls (``benchmarks.agitation_accuracy``)."""

import pytest

from benchmarks.agitation_accuracy import pair_summary, synthetic_shifts, utterance_scores

pytestmark = pytest.mark.corpus


def test_anger_scores_above_neutral(corpus):
    summary = pair_summary(utterance_scores(corpus))
    assert summary["pairs"] >= 40 and not summary["unscored"]
    assert summary["accuracy"] >= 0.9, summary
    for speaker, actor in summary["actors"].items():
        assert actor["anger_mean"] > actor["neutral_mean"], (speaker, actor)


def test_customer_who_calms_down_has_negative_shift(corpus):
    shifts = synthetic_shifts(corpus)
    assert len(shifts) == 5
    for s in shifts:
        assert s["shift"] is not None and s["shift"] < 0, s
