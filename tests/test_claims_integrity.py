"""The integrity claim (nothing runs unaccepted or twice) judged on hand-made runs (no servers)."""

from chaos.judgement.checker import check
from chaos.judgement.claims import CLAIMS, Evidence
from chaos.judgement.claims.integrity import delivery
from chaos.judgement.verdict import decide
from chaos.profile import get_profile
from chaos.records.taskspec import TaskSpec
from tests.helpers import Script

DONE = ["started", "succeeded", "returned"]


def judge(specs, script, profile="celery-default"):
    ledger = script.ledger()
    evidence = Evidence(specs, check(specs, script.history, ledger), ledger, script.history)
    result = CLAIMS["integrity"].judge(evidence, get_profile(profile))
    return result, decide(result, get_profile(profile).backend)


def test_once_each_holds_and_a_task_that_succeeded_twice_breaks_it_unclaimed():
    specs = [TaskSpec(key="a"), TaskSpec(key="b")]
    once = Script().submit("a").submit("b").ran("a", 1, DONE, 1.0).ran("b", 1, DONE, 2.0)
    result, verdict = judge(specs, once.status("a", "succeeded").status("b", "succeeded"))
    assert (verdict, result.relevant, result.measurements["delivery"]) == ("holds", 2, "exactly-once")
    twice = Script().submit("a").submit("b").ran("a", 1, DONE, 1.0).ran("a", 2, DONE, 3.0).ran("b", 1, DONE, 2.0)
    result, verdict = judge(specs, twice.status("a", "succeeded").status("b", "succeeded"))
    # the seed claims it for no backend: a break is shown as not-claimed, with what broke it
    assert (verdict, result.violating_keys, result.counts) == ("not-claimed", ["a"], {"duplicated": 1, "ok": 1})
    assert result.measurements["delivery"] == "at-least-once"


def test_a_refused_task_that_ran_breaks_it_and_a_cut_first_attempt_is_a_redelivery():
    specs = [TaskSpec(key="r"), TaskSpec(key="c")]
    s = Script().submit("r", "fail").submit("c").ran("r", 1, DONE, 1.0)
    s.ran("c", 1, ["started"], 1.5).fault(1.6, 1.7).ran("c", 2, DONE, 2.0)  # cut by a kill, then run in full
    result, verdict = judge(specs, s.status("c", "succeeded"))
    assert verdict == "not-claimed" and result.violating_keys == ["r"] and result.counts["phantom"] == 1
    assert result.counts["retried"] == 1 and result.measurements["redelivered"] == ["c"]


def test_lost_tasks_do_not_break_it_but_name_the_delivery():
    specs = [TaskSpec(key="a"), TaskSpec(key="b")]
    result, verdict = judge(specs, Script().submit("a").submit("b").ran("a", 1, DONE, 1.0).status("a", "succeeded"))
    assert verdict == "holds" and result.counts == {"ok": 1, "lost": 1}
    assert result.measurements["delivery"] == "at-most-once"
    assert [delivery(o) for o in (["ok"], ["duplicated"], ["retried"], ["lost"], ["duplicated", "stuck"])] == [
        "exactly-once", "at-least-once", "at-least-once", "at-most-once", "neither"]


def test_a_run_where_nothing_was_accepted_proves_nothing():
    result, verdict = judge([TaskSpec(key="a")], Script().submit("a", "info"))
    assert verdict == "inconclusive" and result.relevant == 0
