"""Speech-rate accuracy against annotated syllable counts, at 8 kHz (telephone) and 16 kHz.

    python -m benchmarks.rate_accuracy [--rate 8000|16000|both] [--list] [--decompose] [--ceiling]

Utterances and their truth (``../shared/corpus``)
-------------------------------------------------
``mfa``
    The three MFA recordings with a phone tier (``acoustic_corpus`` fast, slow and normal
    speech; ``cold_corpus`` and ``cold_corpus3`` the same speaker with a cold). Utterances are
    the stretches between annotated silences of at least 0.5 s; those with fewer than 4
    vowels or with unknown material (``spn``, ``<...>``, ``[...]``) are left out. Syllables
    are the ARPAbet vowel phones. Talk time is the stretch minus its annotated silences of
    at least ``bridge_s`` (0.25 s, the gaps the activity stage does not bridge); phonation
    time removes every silence of at least ``min_pause_s`` (0.1 s).
``emodb``
    EMO-DB utterances that the 2 s copy does not truncate (``files.tsv``
    ``truncated_in_this_copy == false``). Syllables are the labels of ``silb/`` other than
    ``.`` (end of utterance) and ``(`` (a breath or hesitation mark; ``files.tsv``'s
    ``n_syllables_silb`` counts it). The label times are syllable starts and the end mark,
    so talk time is the last minus the first label time. (The corpus README calls them end
    times; the phone labels of ``lablaut/`` show starts: a syllable's time is that of its
    first phone, as in 09a04Wa "ihm" and its /i/ at 1.150 s, "sa" and its /z/ at 1.243 s.)
    The counts are canonical syllables: the 33 utterances with phone labels (``lablaut/``;
    08a01Wa's file is empty) hold 310 syllables, 252 vowels and 44 syllabic consonants
    (schwa syllables spoken as a syllabic nasal: "abend" [a:bm], "sagen" [za:gN]); the
    rest are syllables spoken without a nucleus of their own. Sentence a04 ("Heute abend
    könnte ich es ihm sagen") has 11 syllables and 7-8 vowels.
``asterisk``
    The 40 English IVR prompts (8 kHz). Syllables of the transcripts by
    ``benchmarks.syllables.english_syllables``. The prompts are trimmed, so each gets 0.5 s of
    white noise at -80 dBFS (seeded) before and after, standing for the line.
``ldc93s1``, ``ru``
    The TIMIT sample (13 syllables) and the Russian DeepSpeech sample (vowel letters).
Without time alignments (asterisk, ldc93s1, ru) the true rate divides the true count by the
talk time the activity stage finds on the original file at its own rate: only the count is
being tested there.

Measurement
-----------
Each recording is analysed whole, as one channel of a call (``benchmarks.voice_common``),
in the telephone case (resampled to 8 kHz, band-limited to 300-3400 Hz) and at 16 kHz. An
utterance's measured speech rate is the nuclei inside ``[start - 0.25 s, end + 0.25 s)``
divided by the speech frames there; its articulation rate divides by the phonation frames.

Reported per subset and pooled: number of utterances, Pearson r between measured and true
syllables per second, median absolute error in per cent of the truth, and the median
signed error (bias). ``--decompose`` splits the error into the count (nuclei against
syllables) and the talk time (measured against true), and gives the r that a perfect count
(true syllables over the measured talk) or perfect talk times would reach; for the MFA
utterances the count part includes the vowels that lie outside the measured speech.

Where the error lies (``--decompose``, default parameters). At 8 kHz a perfect count would
give a pooled r of 0.94 (0.97 within the prompts and EMO-DB), perfect talk times 0.76: the
count is the limit. Its error grows with the true rate (correlation of the count error with
the true rate -0.46 pooled, -0.54 within EMO-DB): fast speech is undercounted. The
utterances that lower r most are the EMO-DB sentence a04 (canonical syllables without a
vowel, above), the hoarse MFA ``cold_corpus`` and one prompt overcounted by 3. At 16 kHz a
perfect count would give only 0.88: the MFA recordings carry a rumble below 100 Hz (in
``acoustic_corpus`` 14 dB above their 300-3400 Hz noise) that raises the full-band level
and with it the activity stage's noise floor (-37 against -51 dBFS at 8 kHz), so 13 of
the 54 vowels of its first utterance lie outside speech. The telephone band removes the
rumble at 8 kHz. A frame level taken after a 60 Hz high-pass (4th-order Butterworth) lifts
the MFA r at 16 kHz from 0.73 to 0.83 (bias -24 to -15 %) and the pooled r from 0.797
to 0.816, leaves 8 kHz as it is, and keeps the activity tests of the fixtures and corpus
calls passing; it belongs to the activity stage (``callscan.frames.passes``), not to this one.
The MFA vowels still outside speech at either rate (the ``cold_corpus`` recordings) are
hoarse stretches 2-10 dB above the floor that never reach the onset threshold.

The ceiling of a vowel detector (``--ceiling``). Replace each utterance's count by its
labelled nuclei that hold a measured speech frame (EMO-DB from ``lablaut/``, MFA from the
phone tier; the true count where there are no phone labels) and keep the measured talk
times. A detector that finds every vowel and nothing else reaches a pooled r of 0.794 at
8 kHz and 0.795 at 16 kHz, no more than the nuclei do now (EMO-DB alone 0.619 / 0.585);
one that also finds every syllabic consonant reaches 0.938 / 0.944. The distance between
the present r and 0.85 lies in the syllabic consonants, not in the vowels: a syllabic nasal
is a murmur whose power lies mostly at the foot of the telephone band or under it, so there
it sits 10-25 dB under the vowel before it, on that vowel's falling slope, without a dip of
its own. The nuclei find 25 of the 44 (a nucleus within 20 ms of the labelled consonant).

Alternatives measured and not adopted
-------------------------------------
Pooled r at 8 / 16 kHz against 0.786 / 0.797 for ``callscan.kernels.nuclei`` as it stands (voicing
before the dip test; each variant otherwise at the default parameters):

- contour on a 5 ms grid (32 ms or 20 ms window, 10 ms smoothing): 0.767-0.771 /
  0.790-0.792; at ``min_dip_db`` 5 dB 0.797-0.803 / 0.804-0.811, as on the 10 ms grid
  (0.788 / 0.810); without smoothing it overcounts by 15-55 %;
- spectral change: contour minus 0.5-2 x the spectral flux of 8 mel bands in 300-3400 Hz,
  0.711-0.781 / 0.728-0.788 at 4 dB; at 5 dB at most +0.014 / +0.003 over 5 dB without it;
  keeping shallow-dip peak pairs whose band spectra differ: r 0.66-0.74 with +2 to +21 %
  bias on the IVR prompts (voicing tested after the dips, against 0.757 / 0.769 then);
- sub-band correlation (cross-band products of 4-12 band energies, after Wang & Narayanan
  2007, or their geometric mean) in place of the band power: 0.59-0.79 / 0.60-0.77
  (voicing after the dips, against 0.757 / 0.769);
- first-formant band (300-1000 Hz) as the contour: 0.798 / 0.801, but r on the prompts falls
  from 0.72 to 0.65;
- depth under the convex hull (Mermelstein 1975) in place of the prominence: best 0.798 /
  0.803 at 6 dB, with the MFA r at 16 kHz falling from 0.73 to 0.66;
- ``silence_db`` 30-50 dB, ``voiced_reach_s`` 10 or 30 ms, ``vowel_alpha_db`` -2 to +4 dB:
  no better than the defaults.

Measured in the second round (voicing before the dips), against the same 0.786 / 0.797;
per-subset r (prompts, EMO-DB, MFA) in parentheses where one subset decides:
- dip in loudness (sones, power to the 0.3) instead of dB: a ratio criterion is the same
  in any power law, so the loudness dip must be taken against a level; against the party's
  near-maximum (0.99 quantile) loudness, 0.06-0.15 of it, it fails the quiet unstressed
  syllables: 0.60-0.69 / 0.60-0.72 (EMO-DB 0.26-0.46);
- dip threshold a share of the local range of the contour (0.12-0.2 of max - min within
  0.25 or 0.5 s, kept within 2-6 or 3-6 dB): 0.794-0.815 / 0.794-0.820, but no setting
  keeps every subset at both rates (at 0.12 of 0.5 s: MFA 0.84 at 8 kHz, 0.69 at 16 kHz;
  prompts 0.66-0.69 at 16 kHz at 0.16-0.2 of 0.25 s and 0.2 of 0.5 s). Its premise does
  not hold here: angry EMO-DB speech has a wider contour (median 90-10 % range 30.1
  against 26.0 dB) and deeper dips between nuclei (median 23.0 against 17.1 dB) than
  neutral speech; vocal effort deepens the modulation rather than compressing it;
- a smaller dip (1-3 dB) between peaks more than 0.12-0.25 s apart: EMO-DB up to 0.73 /
  0.76, prompts down to 0.55-0.73, MFA 0.39-0.80; pooled 0.73-0.79 / 0.76-0.82;
- dip threshold scaled by the modulation transfer of a first-order low pass (3-6 Hz) at
  the local rate of a first pass (1 or 3 s around the pair): 0.753-0.776 / 0.760-0.781;
- a voiceless stretch (2-5 frames neither voiced nor vowel-like, or without pitch) between
  two peaks lowers the dip they need to 0-2 dB: 0.68-0.79 / 0.47-0.80, EMO-DB lower in
  every setting;
- voiced runs: a run of voiced or vowel-like frames longer than 0.30-0.50 s per nucleus
  given more nuclei (by its length or from its dropped bumps) changes nothing in EMO-DB,
  whose voiced runs are short, and lowers MFA (0.63-0.76); a voiced run of 60-140 ms
  without a nucleus given one at its maximum: 0.783-0.808 / 0.781-0.807, EMO-DB 0.56-0.64
  at 8 kHz;
- a sonority contour, the band power less the part of the 1000-3400 Hz power that exceeds
  the 300-1000 Hz power (from the alpha ratio, at no cost): 0.817 / 0.823 (EMO-DB 0.648 /
  0.687; MFA 0.775 / 0.733; at 8 kHz it finds 236 rather than 230 of the 248 vowels of the
  EMO-DB phone labels and 129 rather than 125 of the 190 MFA vowels, with 4 more nuclei on
  EMO-DB vowels already found), but the prompts fall from 0.722 / 0.743 to 0.672 / 0.698
  (their mean absolute count error is unchanged at 1.98 / 1.72 syllables; some prompts
  lose a nucleus that sat on a voiced fricative, such as the /z/ of "busy" at +23 dB alpha
  ratio, others a weak vowel). Capping at 2 or 3.5 times the low band, or in unvoiced
  frames only, does no better.

Measured in the third round, against the same 0.786 / 0.797 (prompts / EMO-DB / MFA r in
parentheses):
- a detrended contour (the dB contour minus its Gaussian mean over the speech frames,
  standard deviation 60-100 ms) for the peaks and the dips: 0.814-0.820 / 0.788-0.811, but
  the MFA r at 16 kHz falls to 0.54-0.61; its extra nuclei strictly voiced (a period and a
  vowel spectrum in one frame) and added only 150 ms from any other nucleus: 0.808 / 0.811;
- shoulders (a local minimum of the contour's slope on a rise or fall, voiced, 120-150 ms
  from any nucleus): 0.803-0.827 / 0.812-0.815, prompts at 16 kHz down to 0.678 at the
  setting that helps EMO-DB most;
- a second way through the dip test (5 dB on the contour, or 6 dB on the detrended
  contour for a strictly voiced peak): 0.817 / 0.830; with shoulders 0.830 (0.748 / 0.705 /
  0.751) / 0.840 (0.735 / 0.756 / 0.736), median error 7.3 / 8.4 %. It finds no more
  labelled vowels (8 kHz: 249 rather than 250 of the EMO-DB vowels, 120 rather than 122 of
  the MFA vowels): the gain comes from where the count changes fall. That setting is the
  best of 243 around it (median of the 243: 0.801 / 0.814), and chosen on two subsets it
  moves the third by +0.055, +0.039, +0.012 at 8 kHz but +0.120, -0.072, -0.012 at 16 kHz
  (EMO-DB, prompts, MFA held out): 8 parameters that would not carry over to other speech;
- extra nuclei from the first-formant band beside the band-power nuclei: 0.814 / 0.805; a
  least distance of 80 ms between nuclei: 0.782 / 0.799; voiced runs of low alpha ratio
  after a closure taken as syllabic nasals: 0.797 / 0.802, and no more labelled syllabic
  consonants found.

A second estimator that counts nothing, the modulation spectrum of the band-power envelope
over an utterance's speech frames (after Morgan & Fosler-Lussier 1998; centroid, peak or
autocorrelation period of 1-12 Hz, on dB, power^0.3 or linear envelopes): alone 0.33-0.63 /
0.29-0.61 pooled and mostly under 0.45 within a subset. Averaged with the count, as those
authors did, 0.757-0.788 / 0.744-0.780. Used as a floor under the count (``max(count rate,
0.9 x modulation rate)``, the constant chosen with each subset left out in turn) 0.811 /
0.821, but MFA falls (0.730 -> 0.702 / 0.733 -> 0.652): the gain corrects the level of
whole subsets, not the order within them (the estimate, partialled on the count, adds
nothing within a subset). Syllabic rhythm spread over 3-8 Hz in 1-4 s of speech and the
stress and word rhythm below 3 Hz pull any such read-out towards the middle of the band.

Against the phone labels (a nucleus within 20 ms of a vowel finds it), at 8 kHz the
nuclei find 230 of the 248 EMO-DB vowels: 13 of the 18 missed lose the dip test, 3 are
unvoiced, 2 have no peak; EMO-DB's undercount is mostly the canonical syllables without a
vowel. Of the 190 MFA vowels 125 are found: 24 lie outside speech, 21 lose the dip test,
13 have no peak, 7 are unvoiced (at 16 kHz 112 found, 35 outside speech). The misses in
the dip test are unstressed syllables on the slope of a stressed one and vowel sequences
without a dip.

N. Morgan and E. Fosler-Lussier, "Combining multiple estimators of speaking rate", *Proc.
ICASSP* 1998, pp. 729-732.
D. Wang and S. S. Narayanan, "Robust speech rate estimation for spontaneous speech", *IEEE
Trans. Audio, Speech, and Language Processing* 15(8), 2007, pp. 2190-2201.
P. Mermelstein, "Automatic segmentation of speech into syllabic units", *J. Acoust. Soc. Am.*
58(4), 1975, pp. 880-883.
"""

import argparse
import csv
import re
import sys
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from benchmarks.syllables import english_syllables, russian_syllables
from benchmarks.voice_common import CORPUS, analyze_channel, telephone, wideband
from callscan.params import Params

ARPABET_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
# the vowel labels of EMO-DB's SAMPA phone files (``lablaut/``; length is not marked there)
SAMPA_VOWELS = {"a", "e", "i", "o", "u", "y", "E", "I", "O", "U", "Y", "@", "6", "9", "2", "aI", "aU", "OY", "aO",
                "ia", "e@", "@O", "a6", "i6", "I6", "E6", "@6", "Y6"}
SONORANTS = {"m", "n", "N", "l"}
SILENCE = {"", "sil", "sp"}
MFA_FILES = ("acoustic_corpus", "cold_corpus", "cold_corpus3")
MARGIN_S = 0.25


@dataclass
class Unit:
    """One utterance: ``[start_s, end_s)``, true syllables, true talk and phonation time (s or None)."""

    subset: str
    name: str
    start_s: float
    end_s: float
    syllables: int
    talk_s: float = None
    phonation_s: float = None
    nuclei_labels: list = None  # (start_s, end_s, "vowel" | "syllabic") from phone labels, or None


def textgrid_tiers(path):
    """Interval tiers of a Praat TextGrid (short or long text format).

    Returns
    -------
    dict of str -> list of (float, float, str)
    """
    text = re.sub(r"\[\d*\]", " ", open(path, encoding="utf-8").read())
    tokens = re.findall(r'"(?:[^"]|"")*"|[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?', text)
    values = [t[1:-1].replace('""', '"') if t.startswith('"') else float(t) for t in tokens]
    tiers, k = {}, 0
    while k < len(values):
        if values[k] == "IntervalTier":
            name, count = values[k + 1], int(values[k + 4])
            k += 5
            tiers[name] = [(values[k + 3 * j], values[k + 3 * j + 1], values[k + 3 * j + 2]) for j in range(count)]
            k += 3 * count
        else:
            k += 1
    return tiers


def mfa_units(name, corpus, min_gap_s=0.5, min_vowels=4, bridge_s=0.25, min_pause_s=0.1):
    """Utterances of one MFA recording (module docstring)."""
    phones = textgrid_tiers(corpus / "mfa_test_recordings" / f"{name}.TextGrid")["phones"]
    groups, current = [], []
    for a, b, label in phones:
        if label in SILENCE and b - a >= min_gap_s:
            if current:
                groups.append(current)
            current = []
        else:
            current.append((a, b, label))
    if current:
        groups.append(current)
    units = []
    for g in groups:
        while g and g[0][2] in SILENCE:
            g = g[1:]
        while g and g[-1][2] in SILENCE:
            g = g[:-1]
        labels = [lab for _, _, lab in g]
        if not g or any(lab == "spn" or lab[:1] in "<[" for lab in labels if lab):
            continue
        vowels = sum(re.sub(r"\d", "", lab) in ARPABET_VOWELS for lab in labels)
        if vowels < min_vowels:
            continue
        start, end = g[0][0], g[-1][1]
        pauses = [b - a for a, b, lab in g if lab in SILENCE]
        talk = end - start - sum(p for p in pauses if p >= bridge_s)
        phon = end - start - sum(p for p in pauses if p >= min_pause_s)
        marks = [(a, b, "vowel") for a, b, lab in g if re.sub(r"\d", "", lab) in ARPABET_VOWELS]
        units.append(Unit("mfa", name, start, end, vowels, talk, phon, marks))
    return units


def emodb_nuclei_labels(path):
    """Vowels and syllabic consonants of an EMO-DB phone file (``lablaut``), or None without labels.

    A row is ``time -1 label [features]``; its time is the phone's start (module docstring)
    and the next labelled row's time its end. Rows whose first token is a feature (``+x`` or
    ``-x``) carry no phone. A vowel is a :data:`SAMPA_VOWELS` label; ``6`` right after a
    vowel is the second half of a diphthong (``Tier`` [ti:6]), not a nucleus of its own.
    A syllabic consonant is a nasal or /l/ marked ``+sil`` (``sagen`` [za:gN]).

    Returns
    -------
    list of (float, float, str)
        ``(start_s, end_s, "vowel" | "syllabic")``.
    """
    if not path.exists():
        return None
    body = open(path, encoding="latin-1").read().split("\n#", 1)[1]
    rows = []
    for line in body.strip().splitlines():
        tokens = line.split()
        if len(tokens) < 3 or tokens[2][0] in "+-":
            continue
        rows.append((float(tokens[0]), tokens[2], "+sil" in line))
    if not rows:  # 08a01Wa's file holds no labels
        return None
    marks = []
    for k, (t, label, syllabic) in enumerate(rows[:-1]):
        end = rows[k + 1][0]
        if label in SAMPA_VOWELS and not (label == "6" and k and rows[k - 1][1] in SAMPA_VOWELS):
            marks.append((t, end, "vowel"))
        elif syllabic and label in SONORANTS:
            marks.append((t, end, "syllabic"))
    return marks


def recordings(corpus=CORPUS):
    """Every recording of the benchmark with its utterances.

    Returns
    -------
    list of (samples float32, sample_rate, list of Unit)
    """
    out = []
    for name in MFA_FILES:
        x, sr = sf.read(corpus / "mfa_test_recordings" / f"{name}.wav", dtype="float32")
        out.append((x, sr, mfa_units(name, corpus)))
    emodb = corpus / "emodb_anger_neutral"
    with open(emodb / "files.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["truncated_in_this_copy"] == "false"]
    for row in rows:
        x, sr = sf.read(emodb / "wav" / row["file"], dtype="float32")
        labels = open(emodb / "silb" / (row["file"][:-4] + ".silb"), encoding="latin-1").read().split()
        times, names = [float(t) for t in labels[0::2]], labels[1::2]
        syllables = sum(lab not in (".", "(") for lab in names)
        span = times[-1] - times[0]
        marks = emodb_nuclei_labels(emodb / "lablaut" / (row["file"][:-4] + "xx.lablaut"))
        out.append((x, sr, [Unit("emodb", row["file"], times[0], times[-1], syllables, span, span, marks)]))
    rng = np.random.default_rng(0)
    asterisk = corpus / "asterisk_ivr_prompts"
    with open(asterisk / "transcripts.tsv", encoding="utf-8") as f:
        prompts = list(csv.DictReader(f, delimiter="\t"))
    for row in prompts:
        x, sr = sf.read(asterisk / row["en_file"], dtype="float32")
        pad = (10 ** (-80 / 20) * rng.standard_normal(sr // 2)).astype(np.float32)
        x = np.concatenate([pad, x, pad])
        out.append((x, sr, [Unit("asterisk", row["prompt"], 0.5, len(x) / sr - 0.5,
                                 english_syllables(row["en_transcript"]))]))
    ds = corpus / "deepspeech_smoke_test"
    x, sr = sf.read(ds / "LDC93S1.wav", dtype="float32")
    text = open(ds / "LDC93S1.txt", encoding="utf-8").read().split(None, 2)[2]
    out.append((x, sr, [Unit("ldc93s1", "LDC93S1", 0.0, len(x) / sr, english_syllables(text))]))
    x, sr = sf.read(ds / "ru.wav", dtype="float32")
    with open(ds / "ru.csv", encoding="utf-8") as f:
        text = next(csv.DictReader(f))["transcript"]
    out.append((x, sr, [Unit("ru", "ru", 0.0, len(x) / sr, russian_syllables(text))]))
    return out


def _window(unit, hop_s, n):
    a = max(0, int(np.floor((unit.start_s - MARGIN_S) / hop_s)))
    b = min(n, int(np.ceil((unit.end_s + MARGIN_S) / hop_s)))
    return a, b


def evaluate(rate, corpus=CORPUS, params=None):
    """Measured and true rates of every utterance.

    Parameters
    ----------
    rate : int
        8000 (telephone case) or 16000.
    corpus : pathlib.Path
    params : callscan.params.Params, optional

    Returns
    -------
    list of dict
        ``subset``, ``name``, ``syllables``, ``nuclei``, ``talk_s`` (measured), ``true_talk_s``,
        ``true_sps``, ``speech_rate_sps``, ``true_art_sps`` (None without alignment),
        ``articulation_rate_sps``; ``heard`` (None without phone labels): the labelled vowels
        and syllabic consonants with a measured speech frame inside them.
    """
    params = params or Params()
    rows = []
    for x, sr, units in recordings(corpus):
        y, r = telephone(x, sr) if rate == 8000 else wideband(x, sr)
        frames, track = analyze_channel(y, r, params)
        reference = None
        if any(u.talk_s is None for u in units):
            reference = analyze_channel(x, sr, params)[0]
        hop_s = frames.hop_s
        for u in units:
            a, b = _window(u, hop_s, frames.n_frames)
            talk = np.count_nonzero(track.speech[a:b]) * hop_s
            phon = np.count_nonzero(track.phonation[a:b]) * hop_s
            nuclei = int(np.count_nonzero(track.nuclei[a:b] & track.speech[a:b]))
            true_talk = u.talk_s
            if true_talk is None:
                ra, rb = _window(u, reference.hop_s, reference.n_frames)
                true_talk = np.count_nonzero(reference.speech[0][ra:rb]) * reference.hop_s
            # labelled nuclei with a speech frame in them: what a perfect detector could count
            heard = None
            if u.nuclei_labels is not None:
                heard = {"vowel": 0, "syllabic": 0}
                for s0, s1, kind in u.nuclei_labels:
                    f0, f1 = int(s0 / hop_s), max(int(s0 / hop_s) + 1, int(np.ceil(s1 / hop_s)))
                    heard[kind] += bool(track.speech[f0:f1].any())
            rows.append({
                "subset": u.subset, "name": u.name, "syllables": u.syllables, "nuclei": nuclei, "heard": heard,
                "talk_s": talk, "true_talk_s": true_talk,
                "true_sps": u.syllables / true_talk if true_talk > 0 else float("nan"),
                "speech_rate_sps": nuclei / talk if talk > 0 else float("nan"),
                "true_art_sps": u.syllables / u.phonation_s if u.phonation_s else None,
                "articulation_rate_sps": nuclei / phon if phon > 0 else float("nan"),
            })
    return rows


def stats(true, measured):
    """n, Pearson r, median absolute error (%) and median signed error (%)."""
    t, m = np.asarray(true, float), np.asarray(measured, float)
    ok = np.isfinite(t) & np.isfinite(m) & (t > 0)
    t, m = t[ok], m[ok]
    err = (m - t) / t
    r = float(np.corrcoef(t, m)[0, 1]) if t.size > 2 and t.std() > 0 and m.std() > 0 else float("nan")
    return {"n": int(t.size), "r": r, "median_abs_error_pct": float(np.median(np.abs(err)) * 100) if t.size else float("nan"),
            "bias_pct": float(np.median(err) * 100) if t.size else float("nan")}


def summarise(rows):
    """Statistics of the speech rate per subset and pooled, and of the articulation rate where aligned.

    Returns
    -------
    dict of str -> dict
        Keys: subset names, ``"all"`` and ``"articulation (aligned)"``.
    """
    out = {}
    for subset in sorted({r["subset"] for r in rows}) + ["all"]:
        sel = [r for r in rows if subset == "all" or r["subset"] == subset]
        out[subset] = stats([r["true_sps"] for r in sel], [r["speech_rate_sps"] for r in sel])
    aligned = [r for r in rows if r["true_art_sps"] is not None]
    out["articulation (aligned)"] = stats([r["true_art_sps"] for r in aligned],
                                          [r["articulation_rate_sps"] for r in aligned])
    return out


def decompose(rows):
    """Split the speech-rate error into its count and talk-time parts, per subset and pooled.

    The measured rate is ``nuclei / talk_s`` and the true one ``syllables / true_talk_s``,
    so the log error is the count error ``log(nuclei / syllables)`` minus the talk error
    ``log(talk_s / true_talk_s)``.

    Returns
    -------
    dict of str -> dict
        Per subset and ``"all"``: ``n``; ``r`` (as measured); ``r_true_count`` (true
        syllables over the measured talk: what a perfect count would reach);
        ``r_true_talk`` (nuclei over the true talk: what perfect talk times would reach);
        ``count_err_pct`` and ``talk_err_pct``, the median count and talk errors in per
        cent of the truth; ``count_sd_pct`` and ``talk_sd_pct``, the standard deviations of
        their logarithms (x 100).
    """
    out = {}
    for subset in sorted({r["subset"] for r in rows}) + ["all"]:
        sel = [r for r in rows if (subset == "all" or r["subset"] == subset)
               and r["talk_s"] > 0 and r["true_talk_s"] > 0 and r["nuclei"] > 0]
        if not sel:
            continue
        syl = np.array([r["syllables"] for r in sel], float)
        nuc = np.array([r["nuclei"] for r in sel], float)
        talk = np.array([r["talk_s"] for r in sel], float)
        true_talk = np.array([r["true_talk_s"] for r in sel], float)
        truth = syl / true_talk
        lc, lt = np.log(nuc / syl), np.log(talk / true_talk)

        def corr(m):
            return float(np.corrcoef(truth, m)[0, 1]) if len(sel) > 2 and truth.std() > 0 and m.std() > 0 else float("nan")

        out[subset] = {
            "n": len(sel), "r": corr(nuc / talk), "r_true_count": corr(syl / talk), "r_true_talk": corr(nuc / true_talk),
            "count_err_pct": float(np.expm1(np.median(lc)) * 100), "talk_err_pct": float(np.expm1(np.median(lt)) * 100),
            "count_sd_pct": float(lc.std() * 100), "talk_sd_pct": float(lt.std() * 100),
        }
    return out


def ceiling(rows):
    """What a perfect nucleus detector would reach, per subset and pooled.

    Each utterance's count is replaced by the labelled nuclei inside the measured speech
    (``heard``); the talk times stay as measured. Where there are no phone labels (the
    prompts, LDC93S1, the Russian sample and the EMO-DB files without a ``lablaut`` file)
    the true syllable count stands in: every syllable of those transcripts has a vowel.

    Returns
    -------
    dict of str -> dict
        ``"vowels"``: a detector of every vowel; ``"vowels + syllabic"``: of every vowel and
        every syllabic consonant. Each maps subset names and ``"all"`` to :func:`stats`.
    """
    out = {}
    for name, kinds in (("vowels", ("vowel",)), ("vowels + syllabic", ("vowel", "syllabic"))):
        perfect = [dict(r, speech_rate_sps=(sum(r["heard"][k] for k in kinds) if r["heard"] else r["syllables"])
                        / r["talk_s"] if r["talk_s"] > 0 else float("nan")) for r in rows]
        out[name] = {k: v for k, v in summarise(perfect).items() if k != "articulation (aligned)"}
    return out


def _decomposition_table(dec):
    lines = [f"{'subset':10s} {'n':>4s} {'r':>6s} {'r|count':>8s} {'r|talk':>7s} {'count %':>8s} {'sd':>5s} {'talk %':>7s} {'sd':>5s}"]
    for name, d in dec.items():
        lines.append(f"{name:10s} {d['n']:4d} {d['r']:6.3f} {d['r_true_count']:8.3f} {d['r_true_talk']:7.3f} "
                     f"{d['count_err_pct']:+8.1f} {d['count_sd_pct']:5.1f} {d['talk_err_pct']:+7.1f} {d['talk_sd_pct']:5.1f}")
    return "\n".join(lines)


def _table(summary):
    lines = [f"{'subset':24s} {'n':>4s} {'r':>6s} {'med |err| %':>12s} {'bias %':>8s}"]
    for name, s in summary.items():
        lines.append(f"{name:24s} {s['n']:4d} {s['r']:6.3f} {s['median_abs_error_pct']:12.1f} {s['bias_pct']:+8.1f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", choices=["8000", "16000", "both"], default="both")
    parser.add_argument("--list", action="store_true", help="print every utterance")
    parser.add_argument("--decompose", action="store_true",
                        help="split the error into count and talk-time parts (r|count: true syllables over "
                             "the measured talk; r|talk: nuclei over the true talk)")
    parser.add_argument("--ceiling", action="store_true",
                        help="the r of a perfect detector of the labelled vowels (and syllabic consonants) "
                             "inside the measured speech")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    for rate in ([8000, 16000] if args.rate == "both" else [int(args.rate)]):
        rows = evaluate(rate)
        print(f"\n== {rate} Hz ({'telephone band 300-3400 Hz' if rate == 8000 else 'wideband'}): speech rate, syllables/s")
        print(_table(summarise(rows)))
        if args.decompose:
            print(_decomposition_table(decompose(rows)))
        if args.ceiling:
            for name, table in ceiling(rows).items():
                print(f"-- a perfect detector of the labelled {name}, measured talk times")
                print(_table(table))
        if args.list:
            for r in rows:
                print(f"  {r['subset']:9s} {r['name'][:28]:28s} syl {r['syllables']:3d} nuclei {r['nuclei']:3d} "
                      f"true {r['true_sps']:5.2f} measured {r['speech_rate_sps']:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
