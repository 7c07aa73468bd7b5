"""Batch configuration: options and analysis parameters from a TOML file.

``read_config`` splits a configuration file into command-line options and a
``[params]`` table; ``params_from_mapping`` applies such a table to ``Params``,
checking every name and type.
"""

import dataclasses

from callscan.errors import BatchUsageError, ParameterError
from callscan.params import Params


def read_config(path):
    """Read a batch configuration file (TOML).

    Parameters
    ----------
    path : str
        A TOML file. Top-level keys are command-line options, spelled as on the
        command line without the dashes (``jobs``, ``format``, ``agent-channel``
        or ``agent_channel``, ``overwrite = true``); an optional ``[params]``
        table sets analysis parameters by their ``callscan.params.Params`` names
        (nested tables for the groups: ``[params.measures]``).

    Returns
    -------
    options : dict
        The top-level keys with dashes turned into underscores.
    params : dict
        The ``[params]`` table (empty when absent).

    Raises
    ------
    BatchUsageError
        When the file cannot be read or is not valid TOML.
    """
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BatchUsageError(f"cannot read the configuration: {exc}", path) from None
    params = data.pop("params", {})
    if not isinstance(params, dict):
        raise BatchUsageError("'params' must be a table ([params])", path)
    return {key.replace("-", "_"): value for key, value in data.items()}, params


def params_from_mapping(mapping, base=None):
    """Parameters with the values of a nested mapping applied.

    Parameters
    ----------
    mapping : dict
        Field names of ``Params`` and its groups, nested like the dataclasses
        (``{"measures": {"dead_air_min_s": 5.0}}``). Each value is checked by its
        parameter class (``callscan.paramspec``): range, type, order against its pair.
    base : Params, optional
        The parameters to start from (default ``Params()``).

    Returns
    -------
    Params

    Raises
    ------
    callscan.errors.ParameterError
        When a name is unknown, or a value is out of its range or of the wrong type
        (the message names the parameter, the value and the allowed range).
    """
    return _replace_fields(base or Params(), mapping, "params")


def _replace_fields(obj, mapping, where):
    fields = {f.name for f in dataclasses.fields(obj)}
    changes = {}
    for key, value in mapping.items():
        name = f"{where}.{key}"
        if key not in fields:
            raise ParameterError(f"unknown parameter {name}; known: {', '.join(sorted(fields))}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ParameterError(f"{name} is a group of parameters: give a table")
            changes[key] = _replace_fields(current, value, name)
        else:
            changes[key] = value  # checked against its range and type by the parameter class
    return dataclasses.replace(obj, **changes)
