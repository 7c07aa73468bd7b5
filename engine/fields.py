"""The description of a record field: one entry of the glossary and the schema.

Each module under ``engine/measures`` lists the fields it computes in a module-level
``FIELDS`` tuple of :class:`Field`, next to the code that computes them;
this module lists the fields no measure computes (identity, what was read,
provenance: ``IDENTITY``, ``READ``, ``TRAILER``). ``callscan.record.glossary`` collects them for ``callscan measures`` and the README,
``callscan.record.schema`` turns them into the JSON Schema of the record.
"""

from dataclasses import dataclass

from callscan.errors import ERROR_KINDS

PARTIES = ("agent", "customer")

JSON_TYPES = ("number", "integer", "string", "boolean", "array")


@dataclass(frozen=True)
class Field:
    """One record field (or one per party, when ``name`` holds ``{party}``).

    Attributes
    ----------
    name : str
        Field name; ``{party}`` stands for ``agent`` and ``customer``.
    type : str
        JSON type of a value: ``number``, ``integer``, ``string``, ``boolean`` or
        ``array`` (of strings).
    unit : str
        Unit of a value (``s``, ``dB``, ``count``, ``share 0-1`` ...), or ``""``.
    definition : str
        What the value is, in one or two sentences.
    params : tuple of str
        Parameters that decide it, as dotted paths into ``callscan.params.Params``
        (``"measures.dead_air_min_s"``).
    reference : str
        Where the definition or its default comes from, or ``""``.
    nullable : bool
        The value may be null (mono calls, too little speech, failed rows).
    enum : tuple of str, optional
        The only values a string may take.
    """

    name: str
    type: str
    unit: str
    definition: str
    params: tuple = ()
    reference: str = ""
    nullable: bool = True
    enum: tuple = None

    def __post_init__(self):
        if self.type not in JSON_TYPES:
            raise ValueError(f"field {self.name}: type {self.type!r} is not one of {JSON_TYPES}")

    def names(self):
        """The concrete field names (two for a ``{party}`` field)."""
        if "{party}" in self.name:
            return [self.name.format(party=p) for p in PARTIES]
        return [self.name]


# Record fields that no measure module computes: identity, what was read, provenance.

IDENTITY = (
    Field("path", "string", "", "The input file as given; null for an array or an unnamed stream."),
    Field("call_id", "string", "", "The file name without its extension, or the id passed in; in a batch, files whose "
          "names collide get the shortest tail of their paths that tells them apart (a/0001, b/0001), "
          "and a manifest's call_id column is taken as given."),
    Field("status", "string", "", "`ok`, or `failed` when the file gave no record.", nullable=False,
          enum=("ok", "failed")),
    Field("error_kind", "string", "", "Why a file failed, one of the kinds listed here; null when ok.", enum=ERROR_KINDS),
    Field("error", "string", "", "The reason a file failed, naming the file; null when ok."),
)

READ = (
    Field("mode", "string", "", "`stereo` (two parties) or `mono` (one channel, or two that carry one "
          "mix: `channel_layout`; party-separated measures are null).", ("identical_tol", "mix.min_corr"),
          enum=("stereo", "mono")),
    Field("sample_rate", "integer", "Hz", "Sample rate of the input (analysis runs at 8 or 16 kHz)."),
    Field("channels", "integer", "count", "Channels analysed: 2 in stereo mode, 1 in mono mode."),
    Field("codec", "string", "", "Container/encoding as libsndfile names it (`WAV/PCM_16`), or `array`."),
    Field("duration_s", "number", "s", "Length of the file.", ("min_duration_s",)),
)

TRAILER = (
    Field("crosstalk", "number", "dB", "Coupling of the other party's signal into a channel, when a leak "
          "was found (also a warning); null otherwise.", ("crosstalk.min_corr", "crosstalk.min_erle_db")),
    Field("channel_layout", "string", "", "How the channels carry the parties: `separate` (one party "
          "each), `leak` (a channel also carries the other party through an echo or crosstalk path, "
          "found and taken out), `shared_room` (two microphones in one room: each hears both talkers "
          "through no short linear path; each stretch goes to the channel whose talker stands above "
          "the other's leak), `dual_mono` (two channels that carry one mix, bit-identical or through "
          "one gain, delay and polarity: analysed as mono), `mono` (one channel); null for a failed file.",
          ("mix.min_corr", "mix.max_lag_s", "room.max_coupling_db", "room.margin_db"),
          enum=("separate", "leak", "shared_room", "dual_mono", "mono")),
    Field("leak_into_{party}_db", "number", "dB", "Level of the other party's signal in this party's "
          "channel under that signal's level in its own channel (negative: -26 is 26 dB down); in a "
          "shared room the room's coupling; null where no leak was found.", ("crosstalk.min_corr",)),
    Field("leak_into_{party}_delay_ms", "number", "ms", "Bulk delay of that leak behind the other party's "
          "own channel; null where no leak was found, and in a shared room (no short linear path "
          "carries it).", ("crosstalk.min_corr",)),
    Field("warnings", "array", "", "Notes on the input and the analysis, one string each."),
    Field("engine_version", "string", "", "callscan version that made the record.", nullable=False),
    Field("params_hash", "string", "", "Hash of every parameter of the analysis (`Params.hash()`).",
          nullable=False),
    Field("schema_version", "string", "", "Version of the record schema (`callscan schema`).",
          nullable=False),
    Field("flags", "array", "", "Names of the QA rules that fired (only with `--rules`); null for a "
          "failed file."),
)
