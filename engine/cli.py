"""The ``callscan`` command line: thin wrappers over the Python API.

Library errors become one-line ``click.ClickException`` messages here and only
here.
"""

import json
import sys

import click

from engine.errors import CallscanError
from engine.params import Params

AGENT_CHANNEL = click.option(
    "--agent-channel",
    type=click.IntRange(0, 1),
    default=Params().agent_channel,
    show_default=True,
    help="Channel that carries the agent (vendors differ: Amazon Connect right = 1).",
)


def _fail(exc):
    raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callscan")
def main():
    """Measure recorded two-party calls: talk, overlap, dead air and more."""


@main.command()
@click.argument("call", type=click.Path(dir_okay=True, path_type=str))
@AGENT_CHANNEL
@click.option("--events", is_flag=True, help="Include the list of events (speech, overlap, dead air).")
@click.option("--indent", type=int, default=None, help="Pretty-print the JSON with this indent.")
def analyze(call, agent_channel, events, indent):
    """Print the per-call record of CALL as one JSON object."""
    from engine.analyze import analyze_call

    try:
        record = analyze_call(call, params=Params(agent_channel=agent_channel), events=events)
    except CallscanError as exc:
        _fail(exc)
    click.echo(json.dumps(record, indent=indent, ensure_ascii=False))


@main.command()
@click.argument("call", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=str),
    help="FRAMES.parquet or FRAMES.csv.",
)
def features(call, output):
    """Write the per-frame, per-channel feature table of CALL."""
    from engine.analyze import load
    from engine.features import frame_features
    from engine.tables import write_frames

    params = Params()
    try:
        audio = load(call, params=params)
        frames = frame_features(audio, params)
        n = write_frames(frames, output)
    except CallscanError as exc:
        _fail(exc)
    except ValueError as exc:
        _fail(exc)
    click.echo(f"wrote {n} rows to {output}", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
