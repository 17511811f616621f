"""Each claim's canonical workload, sized by budget (``quick`` for CI, ``standard`` for the default
chaos run, ``deep``), registered by claim name in ``WORKLOADS``: ``builder(fault, phase, budget)``
where ``fault`` is a name in chaos.nemesis.FAULTS (or ``none``) and ``phase`` is run | submit.

- ``persistence``: one task held at its start (the fault strikes while it is held, so the fault
  lands while a task is running, by construction), plus tasks queued behind it or running beside it.
- ``retry``: tasks that fail transiently 1..3 times (the seed's ``max_retries=3``), and one control.
- ``monitoring``: tasks that succeed before a held task, one that fails on every attempt, the held
  task (the fault strikes while it is held: everything before it has finished, everything after it
  waits), and tasks that succeed after it.
- ``status``: t0 held at its start with tasks queued behind it and one that fails for good; while t0
  is held the client reads a queued task's status and the status of an id never submitted, then the
  fault strikes.
- ``timeout``: a task whose body runs far past its time limit, one well within its limit, and one
  without a limit queued behind them (the worker must go on serving).
- ``cancellation``: t0 held at its start, t1 and t2 queued behind it; while t0 is held the client
  cancels t1 (certainly still queued) and, with no fault, cancels t0 with terminate (certainly
  running); t2 is never cancelled. With ``kill-worker`` the worker is killed after the cancel of t1
  has shown in the status API and before t1 could start.
- ``scheduled``: tasks with a countdown (see :func:`scheduled`); Celery Beat ticks beside them.
- ``priority``: t0 (no priority) held at its start on the single worker; a gate submits the backlog
  of mixed priorities only once t0 is held, so it queues up behind t0 by construction; the fault
  (kill-worker) strikes while t0 is held and the backlog waits.
- ``distributed``: t0 held at its start (the trigger of kill-worker) and tasks beside it, for two workers.
- ``integrity``: persistence's workload, also without a fault.
- ``throughput``: n tasks of 0.25 s submitted in a burst (section 7.2 of the seed, scaled down).
"""

from __future__ import annotations

from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import ClientAction, FaultEvent, Gate, Scenario

BUDGETS = ("quick", "standard", "deep")
# Tasks queued behind the held one: one more than Celery's default prefetch (4 per prefork child).
# A full prefetch buffer leaves the consumer's connection idle, which decides how a connection reset
# is noticed (see expectations.toml, reset-peer-run). And the message that fills the buffer must not
# be the last one submitted: until the worker has received it, its BRPOP reply is on the wire, and a
# connection cut right then loses that message (kombu's Redis transport pops it before it records it
# as unacked) — a race with the strike, which comes right after the last submission (seen once in
# three full runs: celery-default, broker-down-run, t4 lost). With one more task behind it, Redis has
# served that BRPOP before it answers the last submission's LPUSH, so the reply is sent before the
# strike. Every budget gives the gated cells the same shape, so a verdict never depends on the budget.
_QUEUED = {"quick": 5, "standard": 5, "deep": 9}


def persistence(fault: str, phase: str, budget: str) -> Scenario:
    """The fault strikes while t0 is held at its start; in phase ``submit`` the other tasks are
    submitted after that, inside the fault's window. In phase ``answer`` it strikes while the app
    holds its answer to t0's submission (the backend has t0), before the others are submitted."""
    answer = phase == "answer"
    tasks = [TaskSpec(key="t0", duration_s=0.2, hold_at=None if answer else "start")]
    tasks += [TaskSpec(key=f"t{i}", duration_s=0.5) for i in range(1, 1 + _QUEUED[budget])]
    event = FaultEvent(fault, at_key="t0", at_event="answer-held" if answer else "held", phase=phase)
    return Scenario(name=f"persistence-{fault}-{phase}", tasks=tuple(tasks), faults=(event,))


def retry(fault: str, phase: str, budget: str) -> Scenario:
    fails = {"quick": [1, 3], "standard": [1, 2, 3], "deep": [1, 2, 3, 1, 2, 3]}[budget]
    tasks = [TaskSpec(key="c0", duration_s=0.05)]
    tasks += [TaskSpec(key=f"f{i}", duration_s=0.05, fail_times=n) for i, n in enumerate(fails)]
    return Scenario(name="retry", tasks=tuple(tasks))


def _faults(fault: str, phase: str) -> tuple[FaultEvent, ...]:
    return () if fault == "none" else (FaultEvent(fault, at_key="t0", at_event="held", phase=phase),)


def status(fault: str, phase: str, budget: str) -> Scenario:
    tasks = [TaskSpec(key="t0", duration_s=0.2, hold_at="start")]
    tasks += [TaskSpec(key=f"t{i}", duration_s=0.2) for i in range(1, 1 + {"quick": 2, "standard": 3, "deep": 6}[budget])]
    tasks += [TaskSpec(key="fails", duration_s=0.05, fail_times=4)]  # more failures than any profile retries
    actions = (ClientAction("status", at_key="t0", key="t1"), ClientAction("status-unknown", at_key="t0"))
    return Scenario(name=f"status-{fault}", tasks=tuple(tasks), faults=_faults(fault, phase), actions=actions)


def timeout(fault: str, phase: str, budget: str) -> Scenario:
    # 1 s is RQ's granularity (job_timeout is whole seconds); 8 s of body leaves no doubt it overran
    tasks = (TaskSpec(key="overrun", duration_s=8.0, time_limit_s=1.0),
             TaskSpec(key="within", duration_s=0.2, time_limit_s=5.0),
             TaskSpec(key="after", duration_s=0.2))
    return Scenario(name=f"timeout-{fault}", tasks=tasks, faults=_faults(fault, phase))


def cancellation(fault: str, phase: str, budget: str) -> Scenario:
    """t1 and t2 are submitted once t0 is held (a gate): t1 is queued behind it when it is cancelled,
    whatever the submissions' timing. Without the gate, a first publish slower than the client's
    timeout (RabbitMQ, the default run of 2026-12-02: t0's answer never came) let t1 reach the broker
    first and run before t0 was held: "cancelled while queued" was then a cancel of a running task."""
    tasks = (TaskSpec(key="t0", duration_s=0.2, hold_at="start"), TaskSpec(key="t1", duration_s=0.2),
             TaskSpec(key="t2", duration_s=0.2))
    actions = [ClientAction("cancel", at_key="t0", key="t1")]
    if fault == "none":  # a fault that hurts the worker would cut t0 off by itself
        actions.append(ClientAction("cancel", at_key="t0", key="t0", terminate=True))
    return Scenario(name=f"cancellation-{fault}", tasks=tasks, faults=_faults(fault, phase), actions=tuple(actions),
                    gates=(Gate("t0", "held"),))


# Tasks that finish before the held one and after it; the same shape in every budget.
_MONITORED = {"quick": 2, "standard": 2, "deep": 4}
_ALWAYS_FAILS = 9  # more failures than any profile allows attempts: the task ends failed everywhere


def monitoring(fault: str, phase: str, budget: str) -> Scenario:
    n = _MONITORED[budget]
    tasks = [TaskSpec(key=f"a{i}", duration_s=0.1) for i in range(n)]
    tasks.append(TaskSpec(key="f0", duration_s=0.05, fail_times=_ALWAYS_FAILS))
    tasks.append(TaskSpec(key="t0", duration_s=0.2, hold_at="start" if fault != "none" else None))
    tasks += [TaskSpec(key=f"b{i}", duration_s=0.1) for i in range(n)]
    faults = () if fault == "none" else (FaultEvent(fault, at_key="t0", at_event="held", phase=phase),)
    return Scenario(name=f"monitoring-{fault}-{phase}", tasks=tuple(tasks), faults=faults)


# Countdowns of the scheduled workload. Short, to keep the quick pass cheap — except one that must
# outlast the Celery profiles' visibility_timeout (10 s) plus one restore sweep (1 s): kombu's Redis
# transport counts an ETA message the worker holds unacked as due for redelivery after that long.
SHORT_COUNTDOWN_S = 2.0
PAST_VISIBILITY_COUNTDOWN_S = 13.0
STRUCK_BEFORE_DUE_COUNTDOWN_S = 5.0


def scheduled(fault: str, phase: str, budget: str) -> Scenario:
    """``none``: a short countdown and one past visibility_timeout. ``kill-worker``: a countdown task
    is accepted (and, for Celery, already held by the worker) first; then h0 holds at its start and
    the worker is killed there — before the countdown is due, by construction (the claim records
    ``fault_before_due``). ``kill-beat``: Beat is killed once its ticks have run, stays down for a few periods
    (chaos/nemesis/kill_beat.py), with a countdown task waiting."""
    if fault == "none":
        tasks = [TaskSpec(key="c0", duration_s=0.05, countdown_s=SHORT_COUNTDOWN_S),
                 TaskSpec(key="c1", duration_s=0.05, countdown_s=PAST_VISIBILITY_COUNTDOWN_S)]
        return Scenario(name="scheduled-none", tasks=tuple(tasks))
    if fault == "kill-beat":
        tasks = [TaskSpec(key="b0", duration_s=0.05), TaskSpec(key="c0", duration_s=0.05, countdown_s=SHORT_COUNTDOWN_S)]
        return Scenario(name="scheduled-kill-beat", tasks=tuple(tasks),
                        faults=(FaultEvent(fault, at_key="b0", at_event="returned", phase=phase),))
    # c0 must still be waiting when the worker dies: h0 starts and is struck within a second or two
    # of c0's submission, even on a loaded machine, so 5 s leaves room (recorded: fault_before_due).
    countdown = STRUCK_BEFORE_DUE_COUNTDOWN_S
    tasks = [TaskSpec(key="c0", duration_s=0.05, countdown_s=countdown),
             TaskSpec(key="h0", duration_s=0.05, hold_at="start")]
    return Scenario(name=f"scheduled-{fault}", tasks=tuple(tasks),
                    faults=(FaultEvent(fault, at_key="h0", at_event="held", phase=phase),))


# Backlog priorities in submission order. The first is the lowest: a worker that reserves the first
# arrival ahead (Celery's early ack frees its prefetch slot while t0 runs) starts it before every
# higher one; and when that worker is killed, the reserved task comes back (visibility_timeout) at
# a moment that depends on timing, but as the lowest it can skip no one, so the verdict does not.
_PRIORITIES = (0, 6, 9, 3, 7, 1, 8, 4)


def _held_first(fault: str, phase: str) -> tuple[TaskSpec, tuple[FaultEvent, ...]]:
    t0 = TaskSpec(key="t0", duration_s=0.2, hold_at="start")
    return t0, (() if fault == "none" else (FaultEvent(fault, at_key="t0", at_event="held", phase=phase),))


def priority(fault: str, phase: str, budget: str) -> Scenario:
    """Under a fault, it strikes while t0 is held and the backlog waits (phase ``run``)."""
    t0, faults = _held_first(fault, phase)
    levels = _PRIORITIES * (2 if budget == "deep" else 1)
    tasks = [t0] + [TaskSpec(key=f"p{i}", duration_s=0.2, priority=p) for i, p in enumerate(levels)]
    return Scenario(name=f"priority-{fault}", tasks=tuple(tasks), faults=faults, gates=(Gate("t0", "held"),))


def distributed(fault: str, phase: str, budget: str) -> Scenario:
    t0, faults = _held_first(fault, phase)
    n = {"quick": 8, "standard": 8, "deep": 16}[budget]
    tasks = [t0] + [TaskSpec(key=f"d{i}", duration_s=0.3) for i in range(n)]
    return Scenario(name=f"distributed-{fault}", tasks=tuple(tasks), faults=faults, gates=(Gate("t0", "held"),))


THROUGHPUT_TASKS = {"quick": 12, "standard": 40, "deep": 100}
THROUGHPUT_DURATION_S = 0.25


def throughput(fault: str, phase: str, budget: str) -> Scenario:
    if fault != "none":
        raise ValueError(f"throughput is measured without faults, not under {fault}")
    tasks = [TaskSpec(key=f"n{i:03d}", duration_s=THROUGHPUT_DURATION_S) for i in range(THROUGHPUT_TASKS[budget])]
    return Scenario(name=f"throughput-{budget}", tasks=tuple(tasks))


def integrity(fault: str, phase: str, budget: str) -> Scenario:
    """Persistence's workload (t0 held at its start, tasks queued behind it); no fault: the same tasks."""
    shape = persistence(fault, phase, budget)
    return Scenario(name=f"integrity-{fault}-{phase}", tasks=shape.tasks,
                    faults=() if fault == "none" else shape.faults)


WORKLOADS = {
    "persistence": persistence,
    "integrity": integrity,
    "retry": retry,
    "monitoring": monitoring,
    "status": status,
    "timeout": timeout,
    "cancellation": cancellation,
    "scheduled": scheduled,
    "priority": priority,
    "distributed": distributed,
    "throughput": throughput,
}
