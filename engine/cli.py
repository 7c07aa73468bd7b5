"""The ``callscan`` command line: thin wrappers over the Python API.

Library errors become one-line ``click.ClickException`` messages here and only
here.
"""

import atexit
import gc
import json
import os
import sys

import click

from callscan.errors import CallscanError
from callscan.formats import FORMATS, SEGMENT_FORMATS
from callscan.heap import keep_freed_memory
from callscan.params import Params


class _Exit(click.ClickException):
    """A one-line error with its own exit code (2 usage, 3 fatal)."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def _parse_value(text):
    """A command-line value read as TOML reads it (``5``, ``2.5``, ``nan``, ``[300, 3400]``,
    ``true``), so that it means what it means in a configuration file; other text stays a string."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


class ParamValue(click.ParamType):
    """The value of one parameter (dotted name), checked by its own spec (``callscan.paramspec``):
    a bad value exits 2 with one line naming the parameter and its range."""

    def __init__(self, path):
        self.path = path
        self.name = path

    def convert(self, value, param, ctx):
        from callscan.errors import ParameterError
        from callscan.paramspec import specs

        group, _, name = self.path.rpartition(".")
        cls = type(getattr(Params(), group)) if group else Params
        try:  # a string from the command line, or a value from a configuration file
            return specs(cls)[name].convert(self.path, _parse_value(value) if isinstance(value, str) else value)
        except ParameterError as exc:
            raise _Exit(f"{param.opts[0]}: {exc}", 2) from None


AGENT_CHANNEL = click.option(
    "--agent-channel",
    type=ParamValue("agent_channel"),
    default=Params().agent_channel,
    show_default=True,
    help="Channel that carries the agent, 0 or 1 (vendors differ: Amazon Connect right = 1).",
)

PARAM = click.option(
    "--param",
    "param_items",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set an analysis parameter by its dotted name, e.g. measures.dead_air_min_s=5 (the list: "
    "callscan measures --params); repeat for more. The command line wins over --config.",
)


def _params(ctx, param_items, agent_channel, base=None):
    """The command's parameters: ``base`` (a configuration's), then each ``--param``, then
    ``--agent-channel`` when given; a bad name or value exits 2 with one line."""
    from click.core import ParameterSource

    from callscan.batch.config import params_from_mapping

    mapping = {}
    for item in param_items:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise _Exit(f"--param takes NAME=VALUE, not {item!r}", 2)
        *groups, name = path.strip().split(".")
        table = mapping
        for group in groups:
            table = table.setdefault(group, {})
            if not isinstance(table, dict):
                raise _Exit(f"--param {item}: {'.'.join(groups)} is a single parameter, not a group", 2)
        table[name] = _parse_value(text.strip())
    try:
        params = params_from_mapping(mapping, base)
        if ctx.get_parameter_source("agent_channel") not in (None, ParameterSource.DEFAULT):
            params = params.replace(agent_channel=agent_channel)
    except CallscanError as exc:
        raise _Exit(f"--param: {exc}" if mapping else str(exc), 2) from None
    return params


def _check_output(path, extensions=None):
    """Refuse, before any work, an output file whose format or folder cannot be written
    (exit 2, one line naming the path and the reason); ``extensions=None``: any name."""
    ext = os.path.splitext(path)[1].lower()
    if extensions is not None and ext not in extensions:
        raise _Exit(f"{path}: unknown output format {ext or '(none)'!r}; use {', '.join(extensions)}", 2)
    if os.path.isdir(path):
        raise _Exit(f"{path}: is a folder, not a file", 2)
    if os.path.lexists(path) and not os.access(path, os.W_OK):
        raise _Exit(f"{path}: the file is not writable", 2)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _Exit(f"{path}: the folder {folder} does not exist", 2)
    _check_writable(path, folder)


def _check_output_folder(path):
    """Refuse, before any work, an output folder that is a file or cannot be made or
    written (exit 2); a missing folder is fine where its nearest existing parent is
    a writable folder (it is made with its parents)."""
    folder = os.path.abspath(path)
    while not os.path.lexists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        where = "is a file" if folder == os.path.abspath(path) else f"cannot be made: {folder} is a file"
        raise _Exit(f"{path}: {where}", 2)
    _check_writable(path, folder)


def _check_writable(path, folder):
    """Create and remove a file in ``folder`` (mode bits alone mislead root and read-only mounts)."""
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".callscan-probe-"):
            pass
    except OSError as exc:
        raise _Exit(f"{path}: the folder {folder} is not writable ({exc.strerror or exc})", 2) from None


def _verbosity_option(flags, level, text):
    def remember(ctx, param, value):
        if not value:
            return
        if ctx.meta.get("callscan.verbosity", level) != level:
            raise click.UsageError("-q/--quiet and -v/--verbose exclude each other", ctx=ctx)
        ctx.meta["callscan.verbosity"] = level

    return click.option(*flags, is_flag=True, expose_value=False, callback=remember, help=text)


def VERBOSITY(command):
    """``-q/--quiet`` (only errors) and ``-v/--verbose`` (a line per file) for a command."""
    command = _verbosity_option(("-v", "--verbose"), 1,
                                "One line per file as it finishes, on stderr (also without a terminal).")(command)
    return _verbosity_option(("-q", "--quiet"), -1, "Print only errors.")(command)


def _level():
    """-1 with --quiet, 1 with --verbose, else 0."""
    return click.get_current_context().meta.get("callscan.verbosity", 0)


def _note(message):
    """A line on stderr, unless --quiet."""
    if _level() >= 0:
        click.echo(message, err=True)


def _file_line(record):
    """The --verbose line of one finished file: status, call id, length or reason, path."""
    call_id = record.get("call_id") or "-"
    if record.get("status") == "ok":
        return f"ok {call_id} {record.get('duration_s') or 0:.1f} s {record.get('path') or '-'}"
    return f"failed {call_id} {record.get('error_kind')}: {record.get('error')}"


def _fail(exc):
    raise click.ClickException(str(exc)) from None


def _load_rules(ctx, param, path):
    """Read and check a QA rules file before any call is analysed (exit 2 when bad)."""
    if path is None:
        return None
    from callscan.errors import RuleError
    from callscan.record.rules import load_rules

    try:
        return load_rules(path)
    except RuleError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


RULES = click.option(
    "--rules",
    metavar="FILE|NAME",
    default=None,
    callback=_load_rules,
    help="TOML file of QA rules, or the name of a shipped one (active-listening); the names "
    "of the rules that hold go in each record's flags.",
)


BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""The variables that set how many threads NumPy's BLAS starts (OpenBLAS, or MKL with OpenMP)."""


def one_blas_thread():
    """Let NumPy's BLAS run in the calling thread only, unless the user set its thread count.

    A call is analysed on one core (a batch runs one call per core, and its workers are
    started so already: ``callscan.batch.pool``). callscan's own linear algebra is small and in
    plain loops (``callscan.kernels.crosstalk.spd_solve``); whatever NumPy or SciPy still hands
    to BLAS gains nothing from a second thread, while OpenBLAS's idle threads wait for the next
    job by spinning (it was about 0.6 CPU s of the 1.2-1.6 CPU s of ``callscan analyze`` on a
    1.5 s stereo call, 2 cores, while the dual-mono check solved with NumPy). The records are the
    same with one thread or more (``python -m benchmarks.snapshot``). BLAS reads these
    variables when NumPy is imported, so this acts only before that (the command line calls it
    first thing) and leaves a process that has imported NumPy, and its environment, as they are.

    Returns
    -------
    bool
        True when NumPy was not imported yet (the variables that were unset are now ``1``).
    """
    if "numpy" in sys.modules:
        return False
    for name in BLAS_THREAD_VARS:
        os.environ.setdefault(name, "1")
    return True


_paused = []


def pause_collection():
    """Pause Python's cyclic garbage collector until :func:`resume_collection`.

    Start-up (importing NumPy, Numba and SciPy, loading the cached kernels) makes hundreds of
    thousands of objects that all live until the process ends; the collector passes over them
    again and again as they are made, about 0.03 CPU s of a 0.7 s ``callscan analyze``, and
    finds nothing to free. ``callscan analyze`` pauses it until its first call is analysed.
    """
    if gc.isenabled():
        gc.disable()
        _paused.append(True)


def resume_collection():
    """Undo :func:`pause_collection` (once; nothing when it did not pause)."""
    if _paused:
        _paused.clear()
        gc.enable()


def _freeze_at_exit():
    """At exit, before the interpreter tears down its modules, move every object to the
    collector's permanent generation: the collections of the teardown then leave them alone
    (with Numba loaded they took about 0.08 CPU s of every process, freeing nothing that the
    end of the process does not free anyway)."""
    atexit.unregister(gc.freeze)  # once, however often the command line runs in one process
    atexit.register(gc.freeze)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callscan")
@click.pass_context
def main(ctx):
    """Measure recorded two-party calls: talk, overlap, dead air and more."""
    one_blas_thread()  # before anything imports NumPy (nothing above does)
    keep_freed_memory()  # the per-block arrays are reused rather than mapped anew (callscan.heap)
    _freeze_at_exit()
    if ctx.invoked_subcommand == "analyze":
        pause_collection()  # resumed after the first call, and whatever happens when the command ends
        ctx.call_on_close(resume_collection)


@main.command()
@click.argument("calls", metavar="CALL...", nargs=-1, required=True,
                type=click.Path(dir_okay=True, allow_dash=True, path_type=str))
@AGENT_CHANNEL
@PARAM
@click.option("--events", is_flag=True, help="Include the list of events (speech, overlap, dead air).")
@click.option("--indent", type=click.IntRange(min=0), default=None, help="Pretty-print the JSON with this indent.")
@RULES
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Write the records to FILE (.json or .jsonl) instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default=None,
              help="json: one object (one CALL); jsonl: one record a line.  "
              "[default: from the extension of -o, else json for one CALL, jsonl for several]")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=str), is_eager=True,
              expose_value=False, callback=lambda ctx, param, path: _apply_config(ctx, param, path, _SHARED),
              help="The TOML file of `callscan batch`: its [params] table and its agent-channel, events "
              "and rules; the command line wins, the batch's other options are left out.")
@VERBOSITY
@click.pass_context
def analyze(ctx, calls, agent_channel, param_items, events, indent, rules, output, fmt):
    """Print the per-call record of each CALL: one JSON object for one CALL, JSON Lines for several.

    CALL is an audio file, or - to read the call's bytes from standard input.
    A CALL that cannot be analysed gets an error line naming it and the reason;
    the others are analysed. Exit status: 0 all ok, 1 some failed, 2 usage.
    """
    import io

    from callscan.analyze import analyze_call

    if fmt is None:
        fmt = "jsonl" if (output or "").lower().endswith(".jsonl") or len(calls) > 1 else "json"
    if output is not None:
        _check_output(output, None if ctx.get_parameter_source("fmt").name != "DEFAULT" else (".json", ".jsonl"))
    if fmt == "json" and len(calls) > 1:
        raise click.UsageError(f"--format json holds one record; {len(calls)} CALLs need --format jsonl", ctx=ctx)
    if fmt == "jsonl" and indent is not None:
        raise click.UsageError("--indent is for --format json (JSON Lines are one record a line)", ctx=ctx)
    if calls.count("-") > 1:
        raise click.UsageError("standard input (-) can be read once", ctx=ctx)
    params = _params(ctx, param_items, agent_channel, ctx.meta.get("callscan.params"))
    _say_if_compiling()

    out, failed = None, 0
    try:
        for call in calls:
            try:
                source = io.BytesIO(sys.stdin.buffer.read()) if call == "-" else call
                record = analyze_call(source, params=params, events=events)
            except CallscanError as exc:
                resume_collection()
                failed += 1
                name = "standard input" if call == "-" else call
                click.echo(f"Error: {exc if exc.path and call != '-' else f'{name}: {exc}'}", err=True)
                continue
            resume_collection()  # start-up is over
            if rules is not None:
                rules.apply(record)
            if out is None:
                out = click.open_file(output or "-", "w", encoding="utf-8")
            out.write(json.dumps(record, indent=indent if fmt == "json" else None, ensure_ascii=False) + "\n")
            out.flush()
            if _level() > 0:
                click.echo(_file_line(record), err=True)
    except OSError as exc:
        _fail(f"cannot write {output or 'standard output'}: {exc.strerror or exc}")
    finally:
        if out is not None and output:
            out.close()
    if output and _level() >= 0:
        n = len(calls) - failed
        click.echo(f"wrote {n} {'record' if n == 1 else 'records'} to {os.fspath(output)}", err=True)
    ctx.exit(1 if failed else 0)


@main.command()
@click.option("--indent", type=click.IntRange(min=0), default=2, show_default=True, help="JSON indent.")
def schema(indent):
    """Print the JSON Schema (draft 2020-12) of the per-call record."""
    from callscan.record.schema import record_schema

    click.echo(json.dumps(record_schema(), indent=indent, ensure_ascii=False))


@main.command()
@click.option("--markdown", is_flag=True, help="A Markdown table (the README's glossary) instead of text.")
@click.option("--update", type=click.Path(exists=True, dir_okay=False, path_type=str), default=None, hidden=True,
              help="Rewrite the Markdown table between the glossary markers of this file (README.md).")
@click.option("--summary", "summary_", is_flag=True, help="The columns of `callscan summary` instead.")
@click.option("--params", "params_", is_flag=True,
              help="Every analysis parameter instead: default, unit, allowed range, meaning.")
def measures(markdown, update, summary_, params_):
    """List every record field with its unit, definition, defaults and reference."""
    from callscan.record import glossary as gl
    from callscan.record import summary as sm
    from callscan.record.glossary import replace_between_markers, to_markdown, to_text

    fields = sm.FIELDS if summary_ else None
    if update is None:
        if params_:
            text = gl.parameters_markdown() if markdown else gl.parameters_text()
        else:
            text = to_markdown(fields=fields) if markdown else to_text(fields=fields)
        click.echo(text, nl=False)
        return
    with open(update, encoding="utf-8") as f:
        text = f.read()
    try:
        new = replace_between_markers(text, to_markdown())
        if sm.MARK_START in new:
            new = replace_between_markers(new, to_markdown(fields=sm.FIELDS), sm.MARK_START, sm.MARK_END)
        if gl.PARAMS_MARK_START in new:
            new = replace_between_markers(new, gl.parameters_markdown(), gl.PARAMS_MARK_START, gl.PARAMS_MARK_END)
    except ValueError as exc:
        _fail(f"{update}: {exc}")
    if new != text:
        with open(update, "w", encoding="utf-8") as f:
            f.write(new)
    click.echo(f"{update}: glossary {'updated' if new != text else 'already current'}", err=True)


def _say_if_compiling():
    from callscan.batch.warmup import COMPILE_NOTICE, compile_pending

    if _level() >= 0 and compile_pending():
        click.echo(COMPILE_NOTICE, err=True)


@main.command()
@VERBOSITY
def warmup():
    """Compile (or load) every kernel now, so that the first analysis starts at once.

    Run it once after installing, for example in a Dockerfile.
    """
    import time

    from callscan.batch.warmup import warm_up

    _say_if_compiling()
    t0 = time.perf_counter()
    warm_up(Params())
    _note(f"kernels ready ({time.perf_counter() - t0:.1f} s)")


@main.command()
@click.argument("call", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=str),
    help="FRAMES.parquet or FRAMES.csv.",
)
@PARAM
@VERBOSITY
@click.pass_context
def features(ctx, call, output, param_items):
    """Write the per-frame, per-channel feature table of CALL."""
    from callscan.analyze import open_call
    from callscan.frames.passes import frame_features
    from callscan.writers import write_frames

    _check_output(output, (".parquet", ".csv"))
    params = _params(ctx, param_items, None)
    _say_if_compiling()
    try:
        audio = open_call(call, params=params)
        frames = frame_features(audio, params)
        n = write_frames(frames, output)
    except CallscanError as exc:
        _fail(exc)
    except ValueError as exc:
        _fail(exc)
    _note(f"wrote {n} rows to {output}")


_SHARED = frozenset({"agent_channel", "events", "rules", "quiet", "verbose"})
"""The options of ``callscan batch`` that ``callscan analyze`` takes from the batch's TOML file."""


def _apply_config(ctx, param, path, shared=None):
    """Make the options of a TOML file the defaults; the command line wins.

    ``shared``: for a command other than ``batch``, the batch options it takes
    from the file (the batch's others are left out; any other key is an error).
    """
    if path is None:
        return
    from callscan.batch.config import read_config
    from callscan.errors import BatchUsageError

    try:
        options, params = read_config(path)
    except BatchUsageError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    names, inverted = _option_names(ctx.command)
    left_out = set()
    if shared is not None:
        batch_names, batch_inverted = _option_names(main.commands["batch"])
        left_out = {key for key, name in batch_names.items() if name not in shared}
        names = {**{k: v for k, v in batch_names.items() if k not in left_out}, **names}
        inverted |= batch_inverted
    defaults = {}
    for key, value in options.items():
        if key in left_out:
            continue
        if key not in names:
            raise click.BadParameter(
                f"{path}: unknown option {key!r}; known: {', '.join(sorted(set(names) | left_out))}",
                ctx=ctx, param=param,
            )
        defaults[names[key]] = (not value) if key in inverted else value
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    from callscan.batch.config import params_from_mapping

    try:  # checked now: a bad value stops the command before any work (exit 2, one line)
        ctx.meta["callscan.params"] = params_from_mapping(params)
    except CallscanError as exc:
        raise _Exit(f"{path}: {exc}", 2) from None


def _option_names(command):
    """A command's long options as config keys (``agent_channel``) -> parameter names,
    and the keys that turn a flag off (``overwrite``)."""
    names, inverted = {}, set()
    for p in command.params:
        if isinstance(p, click.Option) and p.name != "config":
            for opt in p.opts + p.secondary_opts:
                if opt.startswith("--"):
                    key = opt[2:].replace("-", "_")
                    names[key] = p.name
                    if opt in p.secondary_opts:
                        inverted.add(key)
    return names, inverted


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(path_type=str),
              help="Output folder: calls table, events table, segments/, run.json, checkpoint.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes.  [default: all cores]")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="parquet",
              show_default=True, help="Table format.")
@click.option("--events", is_flag=True, help="Also write the events table (events.<format>).")
@click.option("--segments", type=click.Choice(list(SEGMENT_FORMATS)), default=None,
              help="Also write one segment file per call under OUTDIR/segments/.")
@AGENT_CHANNEL
@PARAM
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
@RULES
@click.option("--path-fields", metavar="TEMPLATE", default=None,
              help="Turn parts of each path into columns of every row: '{date}/{agent_id}/' takes the "
              "file's folder as agent_id and the one above as date; '*' skips a part.")
@VERBOSITY
@click.pass_context
def batch(ctx, inputs, outdir, jobs, fmt, events, segments, agent_channel, param_items, resume, timeout, executor,
          scheduler_file, rules, path_fields):
    """Analyse many calls: one row per input file in OUTDIR/calls.<format>.

    INPUT is an audio file, a folder (searched recursively for audio files) or a
    manifest (.txt with one path a line, or .csv/.parquet with a path column whose
    other columns go into every row; relative paths are taken from the
    manifest's folder). Rows keep the input order.
    Exit status: 0 all ok, 1 some files failed, 2 usage, 3 fatal.
    """
    from callscan.batch.run import BatchInterrupted, run_batch

    _check_output_folder(outdir)
    params = _params(ctx, param_items, agent_channel, ctx.meta.get("callscan.params"))
    _say_if_compiling()
    if jobs and (executor != "local" or scheduler_file):
        _note("note: --jobs is ignored on Dask; the cluster's worker threads decide")
    verbose = _level() > 0
    try:
        result = run_batch(
            inputs, outdir, params=params, jobs=jobs, fmt=fmt, events=events, segments=segments,
            timeout=timeout, resume=resume, executor=executor, scheduler_file=scheduler_file,
            progress=_level() == 0, rules=rules, path_fields=path_fields,
            on_file=(lambda record: click.echo(_file_line(record), err=True)) if verbose else None,
        )
    except CallscanError as exc:
        raise _Exit(str(exc), getattr(exc, "exit_code", 3)) from None
    except BatchInterrupted as exc:
        click.echo(exc.resume_line(), err=True)
        ctx.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: finished files are in the checkpoint; rerun the same command to go on", err=True)
        ctx.exit(130)
    if result.duplicates:
        _note(f"note: {result.duplicates} inputs were named more than once; each is analysed once")
    if result.path_fields_unmatched:
        _note(f"note: {result.path_fields_unmatched} paths do not fit --path-fields {path_fields!r}; "
              "their columns are empty")
    if _level() >= 0:
        click.echo(result.summary(), err=True)
    elif result.failed_paths:
        click.echo(result.failed_lines(), err=True)
    ctx.exit(result.exit_code)


@main.command()
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=str))
@click.option("--by", "by", multiple=True, required=True, metavar="COLUMN",
              help="Group by this column (a manifest column such as agent_id, or a record field); repeat for more.")
@click.option("-o", "--output", type=click.Path(path_type=str), default=None,
              help="Write every column to FILE (.parquet, .csv or .jsonl) instead of a table on stdout.")
@VERBOSITY
def summary(outdir, by, output):
    """One row per group of the calls in OUTDIR: n, medians, p90s, rates per hour, flag shares.

    The columns are defined in `callscan measures --summary`.
    """
    from callscan.batch.read import read_batch
    from callscan.record.summary import summarize, summary_columns, to_text
    from callscan.writers import write_table

    if output is not None:
        _check_output(output, tuple(FORMATS.values()))
    try:
        batch = read_batch(outdir)
    except CallscanError as exc:
        _fail(exc)
    rules = list((batch.run.get("rules") or {}).keys()) or None
    try:
        groups = summarize(batch.rows, by, rules=rules)
    except KeyError as exc:
        columns = sorted({k for r in batch.rows[:100] for k in r})
        raise click.UsageError(f"no column {exc.args[0]!r} in the calls table of {outdir} "
                               f"(columns: {', '.join(columns)})") from None
    if output is None:
        click.echo(to_text(groups, by), nl=False)
        return
    fmt = {v: k for k, v in FORMATS.items()}[os.path.splitext(output)[1].lower()]
    try:
        write_table(output, fmt, summary_columns(groups, by), lambda: groups)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    _note(f"wrote {len(groups)} groups to {output}")


@main.command()
@click.argument("call", type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=str),
              help="Picture file: .png (or .svg, .pdf).")
@AGENT_CHANNEL
@PARAM
@click.option("--dpi", type=click.IntRange(30, 600), default=100, show_default=True, help="Resolution.")
@VERBOSITY
@click.pass_context
def plot(ctx, call, output, agent_channel, param_items, dpi):
    """Draw the timeline picture of CALL: who speaks, overlaps, dead air, pitch, agitation.

    Needs the optional extra: pip install 'callscan[plot]'.
    """
    from callscan.view.plot import plot_call

    _check_output(output, (".png", ".svg", ".pdf"))
    params = _params(ctx, param_items, agent_channel)
    try:
        plot_call(call, output, params=params, dpi=dpi)
    except CallscanError as exc:
        _fail(exc)
    _note(f"wrote {output}")


@main.command()
@click.argument("outdir", type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="HTML file.  [default: OUTDIR/report.html]")
@click.option("--by", metavar="COLUMN", default=None,
              help="Column of the per-group table.  [default: agent_id, when the rows have it]")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes drawing pictures.  [default: all cores]")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="Worst calls shown per headline measure (and flagged calls per QA rule).")
@click.option("--all-calls", is_flag=True, help="List every call in the page too (for small batches).")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Draw the missing pictures of the calls worth a look into OUTDIR/plots/ (needs the audio "
              "and callscan[plot]); --no-plots embeds only those already there.")
@VERBOSITY
def report(outdir, output, by, jobs, top, all_calls, plots):
    """Write one self-contained HTML page over the batch in OUTDIR.

    The page holds the batch's totals, a table per agent (or --by COLUMN), the
    distributions, and the calls worth a look (flagged by a rule, or among the
    worst on a headline measure) with their timeline pictures inside the page.
    """
    from callscan.view.report import write_report

    if not os.path.isdir(outdir):
        raise _Exit(f"{outdir}: {'not a folder' if os.path.exists(outdir) else 'no such folder'}", 2)
    if not os.access(outdir, os.R_OK | os.X_OK):
        raise _Exit(f"{outdir}: the folder is not readable", 2)
    _check_output(output or os.path.join(outdir, "report.html"), (".html", ".htm"))
    if plots:
        _check_output_folder(os.path.join(outdir, "plots"))
    bar = None

    def progress(done, total):
        nonlocal bar
        if _level() > 0:
            click.echo(f"pictures {done}/{total}", err=True)
            return
        if _level() < 0:
            return
        if bar is None and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            bar = tqdm(total=total, file=sys.stderr, unit="picture", desc="pictures", dynamic_ncols=True) if tqdm else False
        if bar:
            bar.update(1)
            if done == total:
                bar.close()

    try:
        result = write_report(outdir, output, by=by, top=top, all_calls=all_calls, plots=plots, jobs=jobs,
                              progress=progress)
    except CallscanError as exc:
        raise _Exit(str(exc), 2) from None
    for note in result.notes:
        _note(f"note: {note}")
    _note(f"wrote {result.path} ({result.plots} pictures drawn, {result.reused} reused)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
