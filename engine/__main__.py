"""``python -m callscan``: the ``callscan`` command line."""

from callscan.cli import main

main(prog_name="callscan")
