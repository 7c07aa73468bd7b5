"""Decoding: good files of every kind we promise, and a clear error for each bad one."""

import struct

import numpy as np
import pytest
import soundfile as sf

from callscan import analyze_call
from callscan.audio.decoding import decode, from_array
from callscan.errors import CallscanError, DecodeError
from tests.support import speechlike

SR = 8000


def stereo(seconds=3.0, sr=SR):
    return np.stack([speechlike(sr, seconds, 200, 1), speechlike(sr, seconds, 110, 2)[::-1].copy()])


def write(path, x, sr=SR, subtype="PCM_16", fmt=None):
    sf.write(path, x.T, sr, subtype=subtype, format=fmt)
    return path


def test_pcm16_stereo_shape_and_scale(tmp_path):
    x = stereo()
    p = write(tmp_path / "call.wav", x)
    a = decode(p)
    assert a.samples.shape == x.shape and a.samples.dtype == np.float32
    assert a.mode == "stereo" and a.sample_rate == SR and a.codec == "WAV/PCM_16"
    np.testing.assert_allclose(a.samples, x, atol=1.0 / 32768)


@pytest.mark.parametrize("subtype", ["ULAW", "ALAW", "GSM610", "IMA_ADPCM", "PCM_U8", "PCM_24", "FLOAT"])
def test_codecs_decode(tmp_path, subtype):
    x = stereo()
    channels = 1 if subtype == "GSM610" else 2
    p = write(tmp_path / f"c_{subtype}.wav", x[:channels], subtype=subtype)
    a = decode(p)
    assert a.samples.shape[1] >= x.shape[1] - 512
    assert subtype in a.codec


def test_flac_and_resampling(tmp_path):
    x = stereo(sr=44100)
    a = decode(write(tmp_path / "c.flac", x, sr=44100))
    assert a.sample_rate == 16000 and a.source_rate == 44100
    assert abs(a.samples.shape[1] - 3.0 * 16000) <= 2
    assert any("resampled" in w for w in a.warnings)
    a = decode(write(tmp_path / "c11.wav", stereo(sr=11025), sr=11025))
    assert a.sample_rate == 8000


def test_mono_and_identical_channels(tmp_path):
    x = stereo()
    a = decode(write(tmp_path / "m.wav", x[:1]))
    assert a.mode == "mono" and a.channels == 1 and "mono" in a.warnings[0]
    a = decode(write(tmp_path / "dup.wav", np.stack([x[0], x[0]])))
    assert a.mode == "mono" and "same signal" in a.warnings[0]


def bad_files(tmp_path):
    x = stereo()
    good = write(tmp_path / "good.wav", x)
    raw = good.read_bytes()
    files = {}
    (tmp_path / "zero.wav").write_bytes(b"")
    files["zero.wav"] = ("empty", "0 bytes")
    (tmp_path / "text.wav").write_text("this is not audio, it is a text file\n" * 20)
    files["text.wav"] = ("unreadable", "not a readable audio file")
    (tmp_path / "header.wav").write_bytes(raw[:30])
    files["header.wav"] = ("unreadable", "truncated")
    (tmp_path / "data.wav").write_bytes(raw[: len(raw) // 2])
    files["data.wav"] = ("unreadable", "truncated")
    write(tmp_path / "nan.wav", np.where(np.arange(x.shape[1]) % 500 == 0, np.nan, x).astype(np.float32), subtype="FLOAT")
    files["nan.wav"] = ("bad_samples", "NaN or infinite")
    write(tmp_path / "inf.wav", np.where(np.arange(x.shape[1]) == 77, np.inf, x).astype(np.float32), subtype="FLOAT")
    files["inf.wav"] = ("bad_samples", "NaN or infinite")
    write(tmp_path / "three.wav", np.concatenate([x, x[:1]]))
    files["three.wav"] = ("bad_channels", "3 channels")
    write(tmp_path / "short.wav", x[:, : SR // 2])
    files["short.wav"] = ("too_short", "too short")
    # A WAVE file whose format tag is G.722 ADPCM (0x0065): libsndfile has no decoder.
    fmt = struct.pack("<HHIIHH", 0x0065, 1, SR, SR, 1, 4)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 4000) + bytes(4000)
    (tmp_path / "g722.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    files["g722.wav"] = ("unsupported_codec", "unsupported codec")
    (tmp_path / "dir.wav").mkdir()
    files["dir.wav"] = ("unreadable", "directory")
    files["missing.wav"] = ("unreadable", "no such file")
    return files


def test_bad_inputs_raise_named_errors(tmp_path):
    for name, (kind, words) in bad_files(tmp_path).items():
        path = tmp_path / name
        with pytest.raises(DecodeError) as info:
            analyze_call(path)
        err = info.value
        assert isinstance(err, CallscanError)
        assert err.error_kind == kind, (name, err.error_kind, str(err))
        assert str(path) in str(err), name
        assert words in str(err), (name, str(err))


def test_array_input_matches_file(tmp_path):
    x = stereo(seconds=4.0)
    p = write(tmp_path / "a.wav", x)
    from_file = analyze_call(p)
    quantised = sf.read(p, dtype="float32", always_2d=True)[0].T
    from_mem = analyze_call(quantised, sample_rate=SR)
    for key, value in from_file.items():
        if key not in ("path", "call_id", "codec"):
            assert from_mem[key] == value, key


def test_array_input_errors():
    with pytest.raises(DecodeError, match="sample_rate"):
        from_array(np.zeros((2, 16000), np.float32), None)
    with pytest.raises(DecodeError, match="channels, samples"):
        from_array(np.zeros((16000, 2), np.float32), SR)
    with pytest.raises(DecodeError, match="NaN"):
        from_array(np.full((2, 16000), np.nan, np.float32), SR)


def test_non_utf8_file_name(tmp_path):
    import os

    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9 call.wav")
    write(name, stereo())
    rec = analyze_call(os.fsdecode(name))
    assert rec["status"] == "ok" and rec["duration_s"] == 3.0
