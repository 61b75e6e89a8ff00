"""Cloud jobs: Pharos Desktop as the edge worker of the user's Pharos cloud (contract: shared/pharos-cloud-api.md).

``CloudWorker(workspace, Queue(url, token), api_url=..., token=...).run(cancel)``; modules: ``queue`` (the
cloud's Redis through redis-py or Upstash's SDK), ``jobs`` (the job records), ``worker`` (the loop).
"""

from .cloud_job import CloudJob
from .queue import Queue, QueueError
from .worker import CloudWorker, WorkerState

__all__ = ["CloudJob", "CloudWorker", "Queue", "QueueError", "WorkerState"]
