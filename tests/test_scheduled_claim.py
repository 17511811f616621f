"""The scheduled claim's judgement on hand-written histories and ledgers: early, late (and the
fault's tolerance), duplicated, unsupported (501), and Beat ticks missed, sent twice or run twice."""

from chaos.judgement.checker import check
from chaos.judgement.claims.base import Evidence
from chaos.judgement.claims.scheduled import BEAT_PERIOD_S, LATE_TOLERANCE_S, SEND_JITTER_S, Scheduled
from chaos.profile import get_profile
from chaos.records.taskspec import TaskSpec
from helpers import Script

DONE = ["started", "succeeded", "returned"]
CELERY = get_profile("celery-default")  # recovery_window_s = 8


def judge(script: Script, specs, profile=CELERY):
    ledger = script.ledger()
    return Scheduled().judge(Evidence(specs, check(specs, script.history, ledger), ledger, script.history), profile)


def countdown_task(start, *, countdown=2.0, fault=None, attempts=1, profile=CELERY):
    spec = TaskSpec(key="c", countdown_s=countdown)
    s = Script().submit("c", t=0.0)
    if fault:
        s.fault(*fault)
    for n in range(1, attempts + 1):
        s.ran("c", n, DONE, start + (n - 1))
    return judge(s.status("c", "succeeded"), [spec], profile)


def test_on_time_holds_and_lateness_is_measured():
    r = countdown_task(2.5)
    assert r.holds and r.relevant == 1
    assert abs(r.measurements["tasks"]["c"]["lateness_s"] - 0.49) < 1e-6


def test_early_start_violates():
    r = countdown_task(0.5)
    assert not r.holds and r.measurements["tasks"]["c"]["violation"] == ["early"]


def test_late_start_violates_without_a_fault():
    r = countdown_task(2.0 + LATE_TOLERANCE_S + 0.5)
    assert not r.holds and r.measurements["tasks"]["c"]["violation"] == ["late"]


def test_a_fault_adds_the_profiles_recovery_window_to_the_tolerance():
    r = countdown_task(2.0 + LATE_TOLERANCE_S + 0.5, fault=(1.0, 1.5))
    assert r.holds and r.measurements["tasks"]["c"]["fault_before_due"]


def test_while_the_executor_is_down_at_the_due_time_lateness_counts_from_its_return():
    """A killed worker that takes 10 s to come back (a loaded machine): the task due meanwhile could not
    run before; it is judged from the fault's end, and late only if it runs past the tolerance after it."""
    rabbit = get_profile("celery-rabbitmq")  # recovery_window_s = 3
    tolerance = LATE_TOLERANCE_S + rabbit.recovery_window_s
    r = countdown_task(11.0, fault=(1.0, 10.0), profile=rabbit)  # due at 2.01, the worker back at 10
    row = r.measurements["tasks"]["c"]
    assert r.holds and row["executor_back_after_due_s"] > 7.9 and row["lateness_s"] > tolerance
    r = countdown_task(10.0 + tolerance + 0.5, fault=(1.0, 10.0), profile=rabbit)
    assert not r.holds and "after the executor was back" in r.note
    # a fault that healed before the due time, or not on the executors, moves nothing
    assert not countdown_task(2.0 + tolerance + 0.5, fault=(1.0, 1.5), profile=rabbit).holds


def test_a_fault_elsewhere_than_on_the_executors_does_not_move_the_due_time():
    spec = TaskSpec(key="c", countdown_s=2.0)
    s = Script().submit("c", t=0.0)
    s.fault(1.0, 10.0, name="kill-beat", role="beat")
    s.ran("c", 1, DONE, 2.0 + LATE_TOLERANCE_S + CELERY.recovery_window_s + 1.5)  # late, though < 10 s after it
    r = judge(s.status("c", "succeeded"), [spec])
    assert not r.holds and r.measurements["tasks"]["c"]["executor_back_after_due_s"] == 0


def test_two_successful_runs_violate():
    r = countdown_task(2.5, attempts=2)
    assert not r.holds and r.violating_keys == ["c"]


def test_refused_countdown_is_unsupported():
    spec = TaskSpec(key="c", countdown_s=2.0)
    s = Script().op("submit", "invoke", "c", 0.0).op("submit", "fail", "c", 0.01, http=501, unsupported=True)
    r = judge(s, [spec])
    assert r.unsupported and r.violating_keys == ["c"]


def ticks(sends, *, end, run_twice=(), numbers=None, counted=True):
    """A run with no countdown task, Beat ticks sent at ``sends`` (wall seconds) and run at once."""
    s = Script().op("phase", "end", None, end)
    for i, sent in enumerate(sends):
        number = (numbers or range(1, len(sends) + 1))[i] if counted else 0
        key = f"beat-{number:04d}-{round(sent * 1000)}"
        s.ran(key, 1, DONE, sent + 0.02)
        if key in run_twice or i in run_twice:
            s.ran(key, 2, DONE, sent + 0.5)
    return judge(s, [])


def test_regular_ticks_hold():
    p = BEAT_PERIOD_S
    r = ticks([p * i for i in range(1, 6)], end=5 * p + 0.5)
    assert r.holds and r.relevant == 5 and r.measurements["ticks"]["missed"] == 0


def test_a_gap_of_several_periods_is_missed_ticks():
    p = BEAT_PERIOD_S
    r = ticks([p, 2 * p, 6 * p, 7 * p], end=7 * p + 0.5, numbers=[1, 2, 1, 2])
    assert not r.holds and r.measurements["ticks"]["missed"] == 3
    assert r.measurements["ticks"]["count_restarts"] == [(2, 1)]


def test_beat_silent_at_the_end_is_missed_ticks():
    p = BEAT_PERIOD_S
    r = ticks([p, 2 * p], end=2 * p + SEND_JITTER_S + LATE_TOLERANCE_S + 2 * p + 0.1)
    assert not r.holds and r.measurements["ticks"]["missed"] == 2
    r = ticks([p, 2 * p], end=2 * p + SEND_JITTER_S + LATE_TOLERANCE_S + 0.9 * p)
    assert r.holds and r.measurements["ticks"]["missed"] == 0


def test_a_late_send_is_not_a_missed_tick_a_second_period_is():
    """Beat counts the next send from the last one: a send delayed by a busy machine leaves one long
    gap, and no tick fell due in it unpaired until it spans a second period past the jitter."""
    p = BEAT_PERIOD_S
    late = ticks([p, 2 * p, 3 * p + SEND_JITTER_S - 0.05, 4 * p + SEND_JITTER_S], end=4 * p + SEND_JITTER_S + 0.5)
    assert late.holds and late.measurements["ticks"]["missed"] == 0
    assert abs(late.measurements["ticks"]["latest_send_s"] - (SEND_JITTER_S - 0.05)) < 1e-3
    missed = ticks([p, 2 * p, 3 * p + SEND_JITTER_S + 0.05, 4 * p + SEND_JITTER_S], end=4 * p + SEND_JITTER_S + 0.5)
    assert not missed.holds and missed.measurements["ticks"]["missed"] == 1


def test_a_tick_sent_twice_and_a_tick_run_twice_violate():
    p = BEAT_PERIOD_S
    r = ticks([p, 2 * p, 2 * p + 0.1, 3 * p], end=3 * p + 0.5, run_twice=(3,))
    assert not r.holds
    assert len(r.measurements["ticks"]["sent_twice"]) == 1 and len(r.measurements["ticks"]["run_twice"]) == 1


def test_uncounted_ticks_queued_behind_a_busy_worker_are_one_key_run_once_per_tick():
    """rq-scheduler re-enqueues one job: two ticks queued while the worker was busy run as one key twice."""
    p = BEAT_PERIOD_S
    r = ticks([p, 3 * p, 4 * p], end=4 * p + 0.5, run_twice=(1,), counted=False)
    assert r.holds and r.measurements["ticks"]["missed"] == 0 and r.relevant == 4


def test_uncounted_ticks_run_more_often_than_due_violate():
    p = BEAT_PERIOD_S
    r = ticks([p, 2 * p, 3 * p], end=3 * p + 0.5, run_twice=(1,), counted=False)
    assert not r.holds and len(r.measurements["ticks"]["sent_twice"]) == 1
