"""Proof that a fault landed: what it hit, read from the ledger and the history at the strike, and
the rule that a fault which hit nothing it was meant to makes the cell ``inconclusive``, never ``holds``.

- ``at_strike(records, history, trigger, at_event)``: the tasks running (key, attempt, pid) and the
  tasks accepted but not started, and whether the trigger was still where the fault meant to find it
  — for a fault aimed at a held task (``at_event`` "held"), that attempt still running, not returned.
  The runner records it with the fault's start (``hit``).
- ``missed(faults)``: why a cell's faults prove nothing (None: each one landed): a trigger that had
  finished, a broker kill whose broker never said it had written what it acknowledged, or a network
  fault whose workers never filled their reservations.
- ``words(hit)``: the line every cell's summary and page show, e.g. "t0 running in pid 4321
  (attempt 1), 5 accepted and not started, 0 others running".
"""

from __future__ import annotations

from chaos.records.history import History
from chaos.records.ledger import LedgerRecord

ENDS = ("succeeded", "failed", "crashing", "returned")


def running(records: list[LedgerRecord]) -> tuple[list[LedgerRecord], set[str], set[tuple[str, int]]]:
    """The attempts started and not ended (their "started" records, in ledger order), the keys ever
    started, and the (key, attempt) pairs that ended."""
    started: dict[tuple[str, int], LedgerRecord] = {}
    ended: set[tuple[str, int]] = set()
    for r in records:
        if r.event == "started":
            started.setdefault((r.key, r.attempt), r)
        elif r.event in ENDS:
            ended.add((r.key, r.attempt))
    return [r for ka, r in started.items() if ka not in ended], {k for k, _ in started}, ended


def at_strike(records: list[LedgerRecord], history: History, trigger: LedgerRecord | None, at_event: str) -> dict:
    now, ever_started, ended = running(records)
    running_now = sorted((r.key, r.attempt, r.pid) for r in now)
    accepted = {op.key for op in history.ops if op.kind == "submit" and op.type == "ok"}
    queued = sorted(accepted - ever_started)
    hit = {"running": [{"key": k, "attempt": a, "pid": p} for k, a, p in running_now], "queued": queued}
    if trigger is not None:
        still = (trigger.key, trigger.attempt) not in ended
        hit["trigger"] = {"key": trigger.key, "attempt": trigger.attempt, "pid": trigger.pid, "event": trigger.event,
                          "still_there": still if at_event == "held" else True}
    return hit


def missed(faults: list[dict]) -> str | None:
    """Why the cell's faults hit nothing they were meant to, or None."""
    for fault in faults:
        trigger = (fault.get("hit") or {}).get("trigger")
        if trigger and not trigger["still_there"]:
            return (f"{fault.get('name')} struck after {trigger['key']} (attempt {trigger['attempt']}) had already "
                    f"finished: the fault hit nothing it was meant to, so the run proves nothing")
        reservations = (fault.get("struck") or {}).get("reservations") or {}
        if reservations.get("full") is False:
            return (f"{fault.get('name')}: the workers never took from the broker all they would (waited "
                    f"{reservations.get('waited_s')} s): what the fault met was left to timing, so the run proves nothing")
        received = (fault.get("struck") or {}).get("received") or {}
        if received.get("received") is False:
            return (f"{fault.get('name')}: the broker never showed it had every acknowledged task (missing "
                    f"{', '.join(received.get('missing') or []) or 'unknown'} after {received.get('waited_s')} s"
                    f"{'; ' + received['error'] if received.get('error') else ''}): the fault could have met a "
                    "message still on its way, so the run proves nothing")
        pressure = (fault.get("struck") or {}).get("pressure") or {}
        if pressure.get("landed") is False:
            return (f"{fault.get('name')}: the broker never reached its memory limit (stopped by "
                    f"{pressure.get('stopped_by')} after {pressure.get('filler_written')} filler keys): no write met "
                    "the eviction policy, so the run proves nothing")
        settle = (fault.get("struck") or {}).get("settle") or {}
        if settle.get("settled") is False:
            return (f"{fault.get('name')}: the broker never said it had written what it acknowledged (waited "
                    f"{settle.get('waited_s')} s, {settle.get('polls')} polls), so the kill would prove nothing of its "
                    "durability mode")
    return None


def words(hit: dict | None) -> str:
    if not hit:
        return "not recorded"
    parts = []
    trigger = hit.get("trigger")
    if trigger:
        where = "running" if trigger["still_there"] else "already finished"
        parts.append(f"{trigger['key']} {where} in pid {trigger['pid']} (attempt {trigger['attempt']})")
    others = [r for r in hit.get("running", []) if not trigger or r["key"] != trigger["key"]]
    parts.append(f"{len(hit.get('queued', []))} accepted and not started")
    parts.append(f"{len(others)} other{'s' if len(others) != 1 else ''} running")
    return ", ".join(parts)
