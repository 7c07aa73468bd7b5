"""Reading a call: the header and sample checks, whole-file decoding, block reading."""

from callscan.audio.blocks import FileSource, MemorySource, open_source
from callscan.audio.decoding import Audio, decode, decode_file_object, from_array

__all__ = ["Audio", "decode", "decode_file_object", "from_array", "FileSource", "MemorySource", "open_source"]
