"""The RQ target's queue names, shared by its app (which enqueues), its worker and its periodic
scheduler (which listen). A module of its own so that a worker does not import the app, and with
it FastAPI (0.9 CPU-seconds at every worker start, measured with ``/usr/bin/time``, 2026-12-02)."""

QUEUE_NAME = "taskchaos"
PRIORITY_QUEUE_NAMES = [f"{QUEUE_NAME}.p{p}" for p in range(9, -1, -1)]  # highest first
LISTEN_ORDER = [*PRIORITY_QUEUE_NAMES, QUEUE_NAME]  # the order a worker dequeues in
