"""An analysis whose module takes 2 s to import in a worker process: a slow start-up that
the batch's throughput must leave out (workers import it when they receive their work)."""

import multiprocessing
import time

from callscan.analyze import analyze_call

START_S = 2.0

# A spawned worker imports this while unpickling its work, before parent_process() is set;
# by then the process already has its own name.
if multiprocessing.current_process().name != "MainProcess":
    time.sleep(START_S)


def analysis(path, params=None, events=False):
    return analyze_call(path, params=params, events=events)
