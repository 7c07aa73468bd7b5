"""Record fields that no measure module computes: identity, what was read, provenance.

The measure fields are listed by the modules of ``engine/measures`` (``FIELDS``).
"""

from engine.errors import ERROR_KINDS
from engine.fields import Field

IDENTITY = (
    Field("path", "string", "", "The input file as given; null for an array or an unnamed stream."),
    Field("call_id", "string", "", "The file name without its extension (or the id passed in)."),
    Field("status", "string", "", "`ok`, or `failed` when the file gave no record.", nullable=False,
          enum=("ok", "failed")),
    Field("error_kind", "string", "", "Why a file failed (SPEC §5); null when ok.", enum=ERROR_KINDS),
    Field("error", "string", "", "The reason a file failed, naming the file; null when ok."),
)

READ = (
    Field("mode", "string", "", "`stereo` (two parties) or `mono` (one channel, or two identical ones: "
          "party-separated measures are null).", ("identical_tol",), enum=("stereo", "mono")),
    Field("sample_rate", "integer", "Hz", "Sample rate of the input (analysis runs at 8 or 16 kHz)."),
    Field("channels", "integer", "count", "Channels analysed: 2 in stereo mode, 1 in mono mode."),
    Field("codec", "string", "", "Container/encoding as libsndfile names it (`WAV/PCM_16`), or `array`."),
    Field("duration_s", "number", "s", "Length of the file.", ("min_duration_s",)),
)

TRAILER = (
    Field("crosstalk", "number", "dB", "Coupling of the other party's signal into a channel, when a leak "
          "was found (also a warning); null otherwise.", ("crosstalk.min_corr", "crosstalk.min_erle_db")),
    Field("warnings", "array", "", "Notes on the input and the analysis, one string each."),
    Field("engine_version", "string", "", "callscan version that made the record.", nullable=False),
    Field("params_hash", "string", "", "Hash of every parameter of the analysis (`Params.hash()`).",
          nullable=False),
    Field("schema_version", "string", "", "Version of the record schema (`callscan schema`).",
          nullable=False),
    Field("flags", "array", "", "Names of the QA rules that fired (only with `--rules`); null for a "
          "failed file."),
)
