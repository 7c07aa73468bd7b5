"""analyze_call on a path, on bytes, on a file-like object and on an array: one record."""

import io

import numpy as np
import pytest
import soundfile as sf

from callscan.analyze import analyze_call
from callscan.errors import DecodeError, ParameterError
from tests.support import FIXTURES

SOURCE_FIELDS = {"path", "call_id", "codec"}  # say where the audio came from, not what it holds


def measures(record):
    return {k: v for k, v in record.items() if k not in SOURCE_FIELDS}


@pytest.mark.parametrize("name", ["demo_call.wav", "noisy_ulaw.wav", "busy_call.flac"])
def test_path_bytes_stream_and_array_give_the_same_record(name):
    path = FIXTURES / name
    data = path.read_bytes()
    by_path = analyze_call(str(path), events=True)
    by_bytes = analyze_call(data, events=True)
    by_buffer = analyze_call(io.BytesIO(data), events=True)
    with open(path, "rb") as f:
        by_file = analyze_call(f, events=True)
    samples, sr = sf.read(str(path), dtype="int16", always_2d=True)
    by_array = analyze_call(samples.T, sample_rate=sr, events=True)
    for other in (by_bytes, by_buffer, by_file, by_array):
        assert measures(other) == measures(by_path)
    assert by_bytes["codec"] == by_buffer["codec"] == by_path["codec"] and by_array["codec"] == "array"
    assert by_buffer["path"] is None and by_buffer["call_id"] is None
    assert by_file["path"] == str(path) and by_file["call_id"] == path.stem
    assert analyze_call(io.BytesIO(data), call_id="c-17")["call_id"] == "c-17"


def test_a_stream_is_read_from_its_position():
    data = (FIXTURES / "demo_call.wav").read_bytes()
    stream = io.BytesIO(b"HEADER" + data)
    stream.seek(6)
    assert measures(analyze_call(stream)) == measures(analyze_call(data))


def test_bad_streams_are_refused_with_their_kind():
    with pytest.raises(DecodeError) as empty:
        analyze_call(io.BytesIO(b""))
    assert empty.value.error_kind == "empty"
    with pytest.raises(DecodeError) as garbage:
        analyze_call(io.BytesIO(b"this is not audio, just text " * 20))
    assert garbage.value.error_kind == "unreadable" and "not a readable audio stream" in str(garbage.value)
    short = io.BytesIO()
    sf.write(short, np.zeros((4000, 2), np.int16), 8000, format="WAV", subtype="PCM_16")
    with pytest.raises(DecodeError) as too_short:
        analyze_call(short.getvalue())
    assert too_short.value.error_kind == "too_short"
    three = io.BytesIO()
    sf.write(three, np.zeros((16000, 3), np.int16), 8000, format="WAV", subtype="PCM_16")
    with pytest.raises(DecodeError) as channels:
        analyze_call(io.BytesIO(three.getvalue()))
    assert channels.value.error_kind == "bad_channels"


def test_sample_rate_is_only_for_arrays():
    data = (FIXTURES / "demo_call.wav").read_bytes()
    with pytest.raises(ParameterError):
        analyze_call(data, sample_rate=8000)
    with pytest.raises(ParameterError):
        analyze_call(io.BytesIO(data), sample_rate=8000)


def test_kind_is_a_deprecated_alias_of_error_kind():
    err = DecodeError("empty file (0 bytes)", "x.wav", "empty")
    assert err.error_kind == "empty"
    with pytest.warns(DeprecationWarning, match="error_kind"):
        assert err.kind == "empty"
