"""Distributed mode (HEYGEM_BROKER_URL=redis://...): `heygem worker` processes on many machines run
the jobs; `heygem serve` only accepts, lists and serves them.

How it stays correct:
* The job store (PostgreSQL, HEYGEM_DATABASE_URL) is the source of truth. A broker message carries
  only a job id; a worker claims the job in the store with a guarded UPDATE, so a duplicate or late
  message is a no-op and a job never runs twice at once.
* Lost workers: each worker process heartbeats its jobs in the store; every process (workers and
  the server) sweeps for jobs whose owner died (same host: its pid is gone; another host: no
  heartbeat for owners.STALE_AFTER_S), queues them again (at most MAX_ATTEMPTS) and sends them.
* Lost broker messages: the store remembers when each queued job was sent. When Redis comes back
  with a new run id (a restart: with no or partial persistence it may have lost messages), every
  queued job is sent again; jobs unsent or sent more than REQUEUE_S ago are sent again anyway.
* Cancel and progress go through the store: the worker polls for a cancel between frame batches
  and writes progress at most every 0.5 s; the server reads both from there.
"""
