"""Quiescence: heal every fault, release every hold, then drain with a deadline derived from the
profile and the scenario, and take one final status reading per task.

"lost" is always relative to this deadline: a task not completed and not visibly failed within
``deadline_s`` of healing. The drain also lasts at least the profile's ``recovery_window_s`` after
the last fault ended, so that redeliveries (and duplicates) that the backend's own recovery makes
inside that window are seen even when every task already looks settled — unless the backend can
tell that its broker holds nothing more to deliver (``pending_deliveries``: nothing queued, nothing
delivered and unacked, on ``NOTHING_PENDING_POLLS`` polls in a row): then no redelivery is possible
any more, and the drain ends as soon as every task is settled, or is beyond recovery: its last attempt
ran in a process that has since exited (killed with it, say) — with nothing left in the broker, nothing
can run it again, and waiting out the deadline only confirms its loss. Not when a periodic scheduler runs
(the ``beat`` need): its ticks are what such a cell observes, and they keep coming. After an outage of the
broker the deadline also covers the clients' reconnect backoff (``reconnect_wait_s``), when the
profile states it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chaos.client import TargetClient
from chaos.infra.deployment import Deployment
from chaos.profile import Profile
from chaos.records.history import BROKER_ROLES, History
from chaos.records.ledger import LedgerRecord, read_ledger, release
from chaos.scenario.model import Scenario

SLACK_S = 5.0
POLL_S = 0.25
NOTHING_PENDING_POLLS = 2  # a message is outside the broker only between a worker's pop and its unacked write


def reconnect_wait_s(profile: Profile, outage_s: float) -> float:
    """How long after an outage of ``outage_s`` a client of the broker may wait before it tries again:
    the profile's ``reconnect_backoff_s`` = [start, step, max] (kombu's ``ensure_connection``, which
    Celery's consumer uses: retries after 2, 4, 6, ... s, at most 30 s apart) played until it passes the
    outage. A node that takes 21 s to come back is retried 9 s later (at 30 s): the drain must wait for
    that too, or the tasks the reconnected worker then runs read as lost (seen with RabbitMQ in
    docker). 0 without the setting, or without an outage."""
    backoff = profile.settings.get("reconnect_backoff_s")
    if not backoff or outage_s <= 0:
        return 0.0
    start, step, cap = (float(x) for x in backoff)
    elapsed, interval = 0.0, start
    while elapsed < outage_s:
        elapsed += interval
        interval = min(interval + step, cap)
    return round(elapsed - outage_s, 3)


def broker_outage_s(history: History) -> float:
    """The longest window of a fault on the broker or its connections (0: none struck)."""
    return max((f["end_mono"] - f["start_mono"] for f in history.faults()
                if f.get("role") in BROKER_ROLES and f.get("end_mono")), default=0.0)


def drain_deadline_s(profile: Profile, scenario: Scenario) -> float:
    """Worst case with one task at a time: every attempt's duration, every retry countdown, the longest
    countdown a task asked for (they wait side by side), plus the backend's recovery window and a
    fixed slack (``SLACK_S``, or the profile's ``drain_slack_s``)."""
    slack_s = SLACK_S if profile.drain_slack_s is None else profile.drain_slack_s
    total = slack_s + profile.recovery_window_s + max((s.countdown_s for s in scenario.tasks), default=0.0)
    retries = profile.max_attempts - 1
    for spec in scenario.tasks:
        attempts = 1 + min(spec.fail_times + spec.crash_times, retries)
        total += attempts * (spec.duration_s + spec.hold_after_finish_s)
        total += (attempts - 1) * profile.retry_countdown_s
    return round(total, 3)


@dataclass
class QuiesceReport:
    heal_actions: list[str]
    deadline_s: float
    min_drain_s: float
    drained_s: float
    timed_out: bool
    unsettled: list[str]
    reconnect_wait_s: float = 0.0  # added to the deadline: the clients' reconnect backoff after the broker's outage
    ended_by: str = "window"  # "window": settled once recovery_window_s had passed; "nothing-pending": settled,
    # and the broker could deliver nothing more; "beyond-recovery": what is not settled last ran in a process
    # that has exited, and the broker could deliver nothing more; "deadline": timed out

    def to_json(self) -> dict:
        return self.__dict__.copy()


def _beyond_recovery(keys: list[str], records, deployment: Deployment) -> bool:
    """Every one of ``keys`` has run, and neither the process of its last ledger record (an
    attempt's start, a hold, a crash, ...) nor that process's parent runs any more: the parent is
    who would record the loss of its child (Celery's WorkerLostError, RQ's abandoned job), so a
    killed child of a live worker is not beyond recovery. Once the broker holds nothing either, no
    process has the task and none can receive it."""
    last: dict[str, LedgerRecord] = {}
    for record in records:
        if record.key in keys and record.attempt > 0:  # the app's records are no attempt's
            last[record.key] = record
    return all(key in last and last[key].ppid > 0 and not deployment.process_running(last[key].pid)
               and not deployment.process_running(last[key].ppid) for key in keys)


def _settled(key: str, returned: set[str], status: dict[str, dict]) -> bool:
    """Done for good: failed or cancelled per the status API, or returned (and succeeded, where there
    is a status API to say so)."""
    answer = status.get(key)
    if answer is not None and answer.get("supported") is False:
        return key in returned
    state = (answer or {}).get("state")
    if state in ("failed", "cancelled"):
        return True
    return key in returned and state == "succeeded"


def quiesce(deployment: Deployment, client: TargetClient, history: History, scenario: Scenario,
            last_fault_end_mono: float | None) -> QuiesceReport:
    history.add("phase", "start", name="quiesce")
    actions = deployment.heal()
    for action in actions:
        history.add("infra", "note", action=action)
    for spec in scenario.tasks:
        release(deployment.ledger_dir, spec.key)
    reconnect_s = reconnect_wait_s(deployment.profile, broker_outage_s(history))
    deadline_s = round(drain_deadline_s(deployment.profile, scenario) + reconnect_s, 3)
    start = time.monotonic()
    min_until = (last_fault_end_mono or start) + deployment.profile.recovery_window_s
    keys = [s.key for s in scenario.tasks if s.key in client.ids]
    status: dict[str, dict] = {}
    may_end_early = not deployment.needs.get("beat")
    nothing_pending_polls = 0
    while True:
        for action in deployment.revive_crashed():
            history.add("infra", "note", action=action)
            actions.append(action)
        records = read_ledger(deployment.ledger_dir).records
        returned = {r.key for r in records if r.event == "returned"}
        unsettled = [k for k in keys if not _settled(k, returned, status)]
        for key in unsettled:
            status[key] = client.status(key)
        unsettled = [k for k in keys if not _settled(k, returned, status)]
        now = time.monotonic()
        if not unsettled and now >= min_until:
            timed_out, ended_by = False, "window"
            break
        if (may_end_early and (not unsettled or _beyond_recovery(unsettled, records, deployment))
                and deployment.pending_deliveries() == 0):
            nothing_pending_polls += 1
            if nothing_pending_polls >= NOTHING_PENDING_POLLS:
                timed_out, ended_by = False, "nothing-pending" if not unsettled else "beyond-recovery"
                break
        else:
            nothing_pending_polls = 0
        if now - start > deadline_s:
            timed_out, ended_by = True, "deadline"
            break
        time.sleep(POLL_S)
    drained_s = time.monotonic() - start
    for key in keys:
        client.status(key, final=True)
    history.add("phase", "end", name="quiesce", deadline_s=deadline_s, drained_s=drained_s, timed_out=timed_out,
                reconnect_wait_s=reconnect_s, ended_by=ended_by)
    return QuiesceReport(actions, deadline_s, max(0.0, min_until - start), round(drained_s, 3), timed_out, unsettled,
                         reconnect_s, ended_by)
