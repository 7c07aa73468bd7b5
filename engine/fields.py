"""The description of a record field: one entry of the glossary and the schema.

Each module under ``engine/measures`` lists the fields it computes in a module-level
``FIELDS`` tuple of :class:`Field`, next to the code that computes them;
``engine.record_fields`` lists the fields no measure computes (identity, decoding,
provenance). ``engine.glossary`` collects them for ``callscan measures`` and the README,
``engine.schema`` turns them into the JSON Schema of the record.
"""

from dataclasses import dataclass

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
        Parameters that decide it, as dotted paths into ``engine.params.Params``
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
