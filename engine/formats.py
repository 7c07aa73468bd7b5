"""The names and file extensions of the tables and segment files callscan writes.

They live apart from :mod:`callscan.writers` (which needs NumPy) so that the command line
can offer them as choices without importing NumPy before it has set the process up
(``callscan.cli``).
"""

FORMATS = {"parquet": ".parquet", "jsonl": ".jsonl", "csv": ".csv"}
"""Table formats and their file extensions."""

SEGMENT_FORMATS = {"rttm": ".rttm", "audacity": ".txt"}
"""Segment file formats and their file extensions."""
