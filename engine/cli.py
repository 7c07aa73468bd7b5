"""The ``callscan`` command line: thin wrappers over the Python API.

Library errors become one-line ``click.ClickException`` messages here and only
here.
"""

import json
import sys

import click

from engine.errors import CallscanError
from engine.params import Params
from engine.writers import FORMATS, SEGMENT_FORMATS

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


class _Exit(click.ClickException):
    """A one-line error with its own exit code (2 usage, 3 fatal)."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def _apply_config(ctx, param, path):
    """Make the options of a TOML file the defaults; the command line wins."""
    if path is None:
        return
    from engine.batch_errors import BatchUsageError
    from engine.runconfig import read_config

    try:
        options, params = read_config(path)
    except BatchUsageError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    names, inverted = {}, set()
    for p in ctx.command.params:
        if isinstance(p, click.Option) and p.name != "config":
            for opt in p.opts + p.secondary_opts:
                if opt.startswith("--"):
                    key = opt[2:].replace("-", "_")
                    names[key] = p.name
                    if opt in p.secondary_opts:
                        inverted.add(key)
    defaults = {}
    for key, value in options.items():
        if key not in names:
            raise click.BadParameter(
                f"{path}: unknown option {key!r}; known: {', '.join(sorted(names))}", ctx=ctx, param=param
            )
        defaults[names[key]] = (not value) if key in inverted else value
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    ctx.meta["callscan.params"] = params


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Output folder: calls table, events table, segments/, run.json, checkpoint.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes.  [default: all cores]")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="parquet",
              show_default=True, help="Table format.")
@click.option("--events", is_flag=True, help="Also write the events table (events.<format>).")
@click.option("--segments", type=click.Choice(list(SEGMENT_FORMATS)), default=None,
              help="Also write one segment file per call under OUTDIR/segments/.")
@AGENT_CHANNEL
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=str), is_eager=True,
              expose_value=False, callback=_apply_config,
              help="TOML file with any of these options and a [params] table; the command line wins.")
@click.option("--resume/--overwrite", default=True, show_default=True,
              help="Keep the results already in OUTDIR and analyse only what is missing, or start over.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Give up on a file after this long (its row says timeout).")
@click.option("--executor", default="local", show_default=True, metavar="local|dask://HOST:PORT",
              help="Run on this machine, or on a running Dask cluster.")
@click.option("--scheduler-file", type=click.Path(exists=True, dir_okay=False, path_type=str), default=None,
              help="Run on the Dask cluster described by this scheduler file.")
@click.pass_context
def batch(ctx, inputs, outdir, jobs, fmt, events, segments, agent_channel, resume, timeout, executor,
          scheduler_file):
    """Analyse many calls: one row per input file in OUTDIR/calls.<format>.

    INPUT is an audio file, a folder (searched recursively for audio files) or a
    manifest (.txt with one path a line, or .csv with a path column; relative
    paths are taken from the manifest's folder). Rows keep the input order.
    Exit status: 0 all ok, 1 some files failed, 2 usage, 3 fatal.
    """
    from click.core import ParameterSource

    from engine.batch import run_batch
    from engine.runconfig import params_from_mapping

    try:
        params = params_from_mapping(ctx.meta.get("callscan.params", {}))
        if ctx.get_parameter_source("agent_channel") is not ParameterSource.DEFAULT:
            params = params.replace(agent_channel=agent_channel)
    except CallscanError as exc:
        raise click.UsageError(str(exc), ctx=ctx) from None
    if jobs and (executor != "local" or scheduler_file):
        click.echo("note: --jobs is ignored on Dask; the cluster's worker threads decide", err=True)
    try:
        result = run_batch(
            inputs, outdir, params=params, jobs=jobs, fmt=fmt, events=events, segments=segments,
            timeout=timeout, resume=resume, executor=executor, scheduler_file=scheduler_file,
            progress=True,
        )
    except CallscanError as exc:
        raise _Exit(str(exc), getattr(exc, "exit_code", 3)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: finished files are in the checkpoint; rerun the same command to go on", err=True)
        ctx.exit(130)
    if result.duplicates:
        click.echo(f"note: {result.duplicates} inputs were named more than once; each is analysed once", err=True)
    click.echo(result.summary(), err=True)
    ctx.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
