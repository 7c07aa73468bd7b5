"""Pictures and pages: a call's timeline picture and the HTML report over a batch."""

from callscan.view.plot import plot_call
from callscan.view.report import write_report

__all__ = ["plot_call", "write_report"]
