"""Two channels that carry one mix become one channel (``callscan.audio.dual_mono``); two
parties never do."""

import io

import numpy as np
import pytest
import soundfile as sf

from callscan.analyze import analyze_call
from callscan.audio.blocks import FileSource, open_source
from callscan.audio.decoding import decode, from_array
from callscan.audio.dual_mono import loudest_segments, mix_segments, one_mix, segment_match
from callscan.kernels.energy import hop_sums
from callscan.params import MixParams
from fixtures import leak_calls
from fixtures.leak_calls import DUAL_SOURCES, DUAL_VARIANTS, LeakCell, conversation_mix, dual_mono, leak_call
from tests.support import CORPUS, FIXTURES

SR = leak_calls.SR


def coded(x, how):
    """``x`` (float64, one channel) through a codec of its own: mu-law, GSM 06.10 or MP3."""
    if how == "mulaw":
        return leak_calls.mulaw(x)
    if how == "gsm":
        return leak_calls._coded(x, "WAV", "GSM610")
    return leak_calls._coded(x, "MP3", "MPEG_LAYER_III")


def variant(mix, gain_db=0.0, delay=0, polarity=1, codec=None):
    """Channel 0 the mix, channel 1 the mix with a gain, a delay (samples) and a polarity; with
    ``codec``, each channel then coded on its own (different inputs, so different coding noise)."""
    b = polarity * 10 ** (gain_db / 20) * np.concatenate((np.zeros(delay), mix[: mix.size - delay]))
    a = mix.copy()
    if codec is not None:
        a, b = coded(a, codec), coded(b, codec)
    peak = max(np.max(np.abs(a)), np.max(np.abs(b)))
    if peak >= 1:
        a, b = a * 0.99 / peak, b * 0.99 / peak
    return np.stack((a, b))


# gain 0, +-6, +-20 dB; delay 0, 1, 5, 40 samples; polarity; each channel coded on its own.
OWN_VARIANTS = {
    "gain0": {},
    "gain+6": {"gain_db": 6},
    "gain-6": {"gain_db": -6},
    "gain+20": {"gain_db": 20},
    "gain-20": {"gain_db": -20},
    "delay1": {"delay": 1},
    "delay5": {"delay": 5},
    "delay40": {"delay": 40},
    "polarity": {"polarity": -1},
    "polarity_gain+6_delay5": {"polarity": -1, "gain_db": 6, "delay": 5},
    "mulaw_each_gain-6_delay1": {"codec": "mulaw", "gain_db": -6, "delay": 1},
    "gsm_each_gain+6_delay5": {"codec": "gsm", "gain_db": 6, "delay": 5},
    "gsm_each_polarity_gain-20": {"codec": "gsm", "polarity": -1, "gain_db": -20},
    "mp3_each_gain-6_delay40": {"codec": "mp3", "gain_db": -6, "delay": 40},
    "mp3_each_polarity_gain+20_delay1": {"codec": "mp3", "polarity": -1, "gain_db": 20, "delay": 1},
}


def wav_bytes(x, sr=SR):
    buf = io.BytesIO()
    sf.write(buf, np.round(np.clip(x.T, -1, 32767 / 32768) * 32768).astype(np.int16), sr, format="WAV",
             subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture(scope="module")
def mixes():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return {name: conversation_mix(name) for name in DUAL_SOURCES}


@pytest.mark.corpus
@pytest.mark.parametrize("source", sorted(DUAL_SOURCES))
def test_the_fixture_dual_mono_variants_are_mono(mixes, source):
    for v in DUAL_VARIANTS:
        audio = from_array(dual_mono(mixes[source], v).astype(np.float32), SR)
        assert audio.mode == "mono" and audio.layout == "dual_mono", (source, v, audio.warnings)
        assert audio.channels == 1


@pytest.mark.corpus
@pytest.mark.parametrize("source", sorted(DUAL_SOURCES))
def test_own_dual_mono_variants_are_mono_with_the_relation_found(mixes, source):
    for name, kw in OWN_VARIANTS.items():
        x = variant(mixes[source], **kw)
        audio = decode_bytes(wav_bytes(x))
        assert audio.mode == "mono" and audio.layout == "dual_mono", (source, name, audio.warnings)
        if kw.get("gain_db", 0) == 0 and kw.get("delay", 0) == 0 and "codec" not in kw and "polarity" not in kw:
            continue  # bit-identical: the same-signal check
        note = audio.warnings[-1]
        assert note.startswith("the two channels carry one mix (r="), note
        assert f"at lag {kw.get('delay', 0)} samples" in note, (name, note)
        gain = float(note.split("gain ")[1].split(" dB")[0])
        assert abs(gain - kw.get("gain_db", 0)) <= 1.0, (name, note)
        assert ("inverted polarity" in note) == (kw.get("polarity", 1) < 0), (name, note)
        # the louder channel is kept
        kept = x[1] if kw.get("gain_db", 0) > 0 else x[0]
        level = 20 * np.log10(np.sqrt(np.mean(kept**2)))
        assert abs(20 * np.log10(np.sqrt(np.mean(audio.samples[0].astype(np.float64) ** 2))) - level) < 0.5


def decode_bytes(data):
    from callscan.audio.decoding import decode_file_object

    return decode_file_object(io.BytesIO(data))


@pytest.mark.corpus
def test_block_reading_takes_the_same_decision(mixes, tmp_path, monkeypatch):
    """A file read a block at a time (blocks much shorter than the rounds) decides as the whole file."""
    import callscan.audio.blocks as blocks

    monkeypatch.setattr(blocks, "BLOCK_FRAMES", 333)
    for name in ("gain-6", "gsm_each_gain+6_delay5", "mp3_each_polarity_gain+20_delay1"):
        path = tmp_path / f"{name}.wav"
        path.write_bytes(wav_bytes(variant(mixes["mul1011"], **OWN_VARIANTS[name])))
        assert isinstance(open_source(path), FileSource)
        by_blocks = analyze_call(str(path))
        whole = analyze_call(path.read_bytes())
        assert by_blocks["mode"] == whole["mode"] == "mono", name
        assert by_blocks["warnings"] == whole["warnings"]
        assert by_blocks["span_s"] == whole["span_s"]
        assert by_blocks["overlap_s"] is None


# --- two parties stay two parties ---------------------------------------------------------

FIXTURE_CALLS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".wav", ".flac"))
CORPUS_STEREO = (
    "spokenwoz_mul1011/MUL1011_8k_stereo.wav",
    "faster_whisper_testdata/stereo_diarization.wav",
    "mfa_test_recordings/michaelandsickmichael.wav",
    "audio_whisper_stereo_es/stereo.wav",
)


@pytest.mark.parametrize("name", FIXTURE_CALLS)
def test_fixture_calls_stay_stereo(name):
    audio = decode(FIXTURES / name)
    assert audio.mode == "stereo" and audio.layout is None, audio.warnings


@pytest.mark.corpus
@pytest.mark.parametrize("rel", CORPUS_STEREO)
def test_corpus_two_party_recordings_stay_stereo(corpus, rel):
    audio = decode(corpus / rel)
    assert audio.mode == "stereo" and audio.layout is None, audio.warnings


LEAKY = [LeakCell("interruptions", level, delay, direction, path)
         for level in (-6, -10) for delay in (0, 2, 10) for direction in ("both", "agent_to_customer")
         for path in ("plain", "mulaw")]
LEAKY += [LeakCell("interruptions", -6, delay, "customer_to_agent", path) for delay in (2, 60, 500)
          for path in ("plain", "bandpass")]


@pytest.mark.parametrize("cell", LEAKY, ids=lambda c: c.name)
def test_calls_with_a_strong_leak_stay_stereo(cell):
    """A leak at -6 dB, one way or both, at short delays: each party's own speech is not in the
    other's relation, and both ways the two directions have gains of opposite sign."""
    x, _ = leak_call(cell)
    audio = from_array(x.astype(np.float32), SR)
    assert audio.mode == "stereo", audio.warnings


# --- the pieces --------------------------------------------------------------------------


def test_segment_match_finds_gain_lag_and_polarity():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(2000)
    k = 17
    ext = np.concatenate((np.zeros(k), a, np.zeros(k)))  # b = a, from k before to k after
    for lag, g in ((0, 1.0), (5, -0.5), (-9, 4.0)):
        b_ext = g * np.roll(ext, lag)
        r, found, gain = segment_match(a, b_ext, k)
        assert found == lag and abs(abs(r) - 1) < 1e-9 and np.sign(r) == np.sign(g)
        assert abs(gain - 20 * np.log10(abs(g))) < 0.05
    r, _, _ = segment_match(a, rng.standard_normal(2000 + 2 * k), k)
    assert abs(r) < 0.15


def segments_of(x, mix):
    """:func:`mix_segments` of samples in memory, chosen by the levels of the samples themselves."""
    hop = SR // 100
    power = hop_sums(x, hop, -(-x.shape[1] // hop)) / hop
    return mix_segments(power, lambda a, b: x[:, a:b], x.shape[1], SR, mix)


def test_independent_noise_and_one_way_copies_are_not_one_mix():
    rng = np.random.default_rng(0)
    n = 30 * SR
    talk = (np.arange(n) // SR) % 2 == 0  # party 0 talks on even seconds, party 1 on odd ones
    p0, p1 = rng.standard_normal(n) * talk * 0.1, rng.standard_normal(n) * ~talk * 0.1
    mix = MixParams()
    # party 0 leaks into channel 1 at -6 dB, 1 ms late; party 1's own speech is unrelated
    x = np.stack((p0, p1 + 0.5 * np.roll(p0, 8)))
    assert one_mix(segments_of(x, mix), SR, mix) is None
    # both ways at -6 dB: gains +6 and -6 dB
    x = np.stack((p0 + 0.5 * np.roll(p1, 8), p1 + 0.5 * np.roll(p0, 8)))
    assert one_mix(segments_of(x, mix), SR, mix) is None
    # one mix of both parties, the second channel 3 samples late at -6 dB
    m = p0 + p1
    x = np.stack((m, 0.5 * np.roll(m, 3)))
    rows = segments_of(x, mix)
    found = one_mix(rows, SR, mix)
    assert found is not None and found["lag"] == 3 and abs(found["gain_db"] + 6.02) < 0.3


def test_too_little_sound_decides_nothing():
    x = np.zeros((2, 2 * SR))
    x[:, SR // 2: SR // 2 + 400] = 0.1 * np.sin(np.arange(400) / 3)
    x[1] = np.roll(x[1], 2)
    audio = from_array(x.astype(np.float32), SR)
    assert audio.mode == "stereo"


def test_loudest_segments_are_the_loudest_that_do_not_overlap():
    level = np.array([0.0, 5.0, 9.0, 8.0, -1.0, 7.0, 7.0, 3.0, -90.0, 6.0])
    # 9 at 2 blocks 1..3 (w = 2); then 7 at 5 blocks 4..6; then 6 at 9; 3 at 7 is the 4th
    assert loudest_segments(level, 2, 3, -60.0) == [2, 5, 9]
    assert loudest_segments(level, 2, 5, -60.0) == [2, 5, 9, 7, 0]
    assert loudest_segments(level, 2, 9, 4.0) == [2, 5, 9]  # none quieter than 4 dB
    assert loudest_segments(level, 1, 2, -60.0) == [2, 3]
