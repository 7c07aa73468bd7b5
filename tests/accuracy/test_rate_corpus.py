"""Speech rate against annotated syllable counts in the shared corpus (``benchmarks.rate_accuracy``).

Targets: median absolute error of the per-utterance rate at most 12 % (met: 8.8 % at 8 kHz,
8.4 % at 16 kHz) and Pearson r between measured and true rates of 0.85 (not met: 0.786 at
8 kHz, 0.797 at 16 kHz; within each subset the true rates span little, and one syllable more
or less moves a 2 s EMO-DB utterance by 10 %; with the true counts over the measured talk
time r would be 0.94 at 8 kHz and 0.88 at 16 kHz). The floors sit just under the levels
reached. The hoarse MFA recordings check the vowel-like voicing cue (their bias was -19 % at
8 kHz with the pitch tracker's voicing alone, -8 % with the cue) and the voicing test before
the dip test (``callscan.kernels.nuclei``: their r was 0.55 at 8 kHz with voicing tested after the
dips, 0.73 before, most of it from one short utterance whose count rose from 3 to 4 of 6).
At 8 kHz the count, not the talk time, limits r (``decompose``: true syllables over the
measured talk would give 0.94, nuclei over the true talk 0.76). What limits the count is the
syllables without a vowel (``ceiling``): a detector of every labelled vowel would reach 0.79,
one that also finds every syllabic consonant 0.94.
"""

import re

import pytest

from benchmarks.rate_accuracy import (
    ARPABET_VOWELS,
    MFA_FILES,
    ceiling,
    decompose,
    emodb_nuclei_labels,
    evaluate,
    summarise,
    textgrid_tiers,
)
from benchmarks.syllables import english_syllables, russian_syllables

pytestmark = pytest.mark.corpus


def test_telephone_rate_accuracy(corpus):
    rows = evaluate(8000, corpus)
    s = summarise(rows)
    assert s["all"]["n"] >= 80
    assert s["all"]["median_abs_error_pct"] <= 9.5, s["all"]
    assert s["all"]["r"] >= 0.775, s["all"]
    assert s["asterisk"]["median_abs_error_pct"] <= 7.5, s["asterisk"]
    assert abs(s["all"]["bias_pct"]) <= 5.0, s["all"]
    assert abs(s["mfa"]["bias_pct"]) <= 10.0, s["mfa"]
    assert s["mfa"]["r"] >= 0.70, s["mfa"]
    d = decompose(rows)["all"]
    assert d["n"] == s["all"]["n"] and abs(d["r"] - s["all"]["r"]) < 1e-9, (d, s["all"])
    assert d["r_true_count"] >= 0.90 and d["r_true_talk"] < d["r_true_count"], d
    top = ceiling(rows)
    assert top["vowels"]["all"]["r"] < 0.82, top["vowels"]["all"]
    assert top["vowels + syllabic"]["all"]["r"] >= 0.90, top["vowels + syllabic"]["all"]


def test_emodb_phone_labels(corpus):
    labels = corpus / "emodb_anger_neutral" / "lablaut"
    # "Der Lappen liegt auf dem Eisschrank": 8 syllables, the second a syllabic [m] ([lapm])
    marks = emodb_nuclei_labels(labels / "03a01Ncxx.lablaut")
    assert [k for _, _, k in marks].count("vowel") == 7
    assert [round(a, 3) for a, _, k in marks if k == "syllabic"] == [0.352]
    assert all(a < b for a, b, _ in marks)
    assert emodb_nuclei_labels(labels / "08a01Waxx.lablaut") is None  # a file without labels


def test_wideband_rate_accuracy(corpus):
    s = summarise(evaluate(16000, corpus))
    assert s["all"]["median_abs_error_pct"] <= 9.5, s["all"]
    assert s["all"]["r"] >= 0.785, s["all"]


def test_english_syllable_counter_against_alignments(corpus):
    words = hits = 0
    for name in MFA_FILES:
        tiers = textgrid_tiers(corpus / "mfa_test_recordings" / f"{name}.TextGrid")
        for a, b, word in tiers["words"]:
            if not word or word[0] in "<[":
                continue
            vowels = sum(re.sub(r"\d", "", lab) in ARPABET_VOWELS
                         for p, q, lab in tiers["phones"] if p >= a - 1e-6 and q <= b + 1e-6)
            words += 1
            hits += english_syllables(word) == vowels
    assert words > 150 and hits / words >= 0.9


def test_syllable_counter_rules():
    assert english_syllables("She had your dark suit in greasy wash water all year.") == 13
    assert english_syllables("Press 7 to delete this message.") == 9
    assert english_syllables("www.asterisk.org") == 15
    assert english_syllables("PBX") == 3
    assert [english_syllables(w) for w in ("saying", "dialing", "wanted", "logged", "table", "boxes")] == [2, 3, 2, 1, 2, 2]
    assert russian_syllables("бедняга ребят на его месте должен был быть я") == 15
