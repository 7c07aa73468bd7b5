"""Many calls: inputs, workers (local or Dask), checkpoint and resume, the output tables."""

from callscan.batch.read import BatchOutput, read_batch
from callscan.batch.run import BatchResult, run_batch

__all__ = ["BatchOutput", "BatchResult", "read_batch", "run_batch"]
