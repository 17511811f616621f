"""Start a Celery worker or beat of ``targets.celery.tasks:celery_app`` without Celery's command line.

``python -m targets.celery.worker worker --hostname H --concurrency N`` starts the same
``app.Worker(...).start()`` that ``celery -A targets.celery.tasks:celery_app worker`` ends in
(celery/bin/worker.py), with the same options; ``... beat --schedule F --scheduler S`` the same
``app.Beat(...).run()`` as ``celery beat``. What it leaves out is the command line itself:
``import celery.bin.celery`` imports every subcommand and scans every installed distribution for
command plugins, 1.8 CPU-seconds on this machine against 0.4 for the worker (measured with
``/usr/bin/time python -c "import celery.bin.celery"``, 2026-12-02) — paid at every start of every
worker of every cell, and again at each restart after a kill.

Options are few and explicit (argparse): the ones backend.toml's argv passes. The hostname takes
Celery's ``%h`` expansion as ``-n`` does (``host_format(default_nodename(...))``).
"""

from __future__ import annotations

import argparse
import sys

from celery.utils.nodenames import default_nodename, host_format


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m targets.celery.worker")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="a worker (celery worker)")
    worker.add_argument("--hostname", required=True, help="node name, %%h expanded as by celery worker -n")
    worker.add_argument("--concurrency", type=int, required=True)
    worker.add_argument("--pool", default="prefork")
    worker.add_argument("--loglevel", default="INFO")
    beat = commands.add_parser("beat", help="the periodic scheduler (celery beat)")
    beat.add_argument("--schedule", required=True, help="the schedule's file (celery beat -s)")
    beat.add_argument("--scheduler", required=True, help="the scheduler class (celery beat -S)")
    beat.add_argument("--loglevel", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from targets.celery.tasks import celery_app  # after parsing: a usage error needs no profile

    if args.command == "worker":
        worker = celery_app.Worker(hostname=host_format(default_nodename(args.hostname)), pool_cls=args.pool,
                                   loglevel=args.loglevel, concurrency=args.concurrency, without_gossip=True,
                                   without_mingle=True, without_heartbeat=True)
        worker.start()
        return worker.exitcode
    celery_app.Beat(schedule=args.schedule, scheduler=args.scheduler, loglevel=args.loglevel).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
