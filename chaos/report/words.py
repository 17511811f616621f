"""Plain-language sentences generated from a run's data: a cell's scenario and what came of it
("5 tasks; ... worker (pid 31353) killed with SIGKILL when t0 had started → t0 stuck"), and the
one-paragraph summary of what broke across the run. Plain text: the page escapes it."""

from __future__ import annotations

import re

from chaos.brokers import DURABILITY_FAULTS

GOOD = ("ok", "retried")
WORST_FIRST = ("violated", "not-claimed", "inconclusive", "unsupported", "measured", "holds")


def key_ranges(keys: list[str]) -> str:
    """["t1", "t2", "t3", "c0"] → "t1–t3, c0": runs of consecutive numbered keys are shortened."""
    out: list[str] = []
    run: list[tuple[str, int, str]] = []

    def flush():
        if len(run) >= 3:
            out.append(f"{run[0][2]}–{run[-1][2]}")
        else:
            out.extend(k for _, _, k in run)
        run.clear()

    for key in keys:
        m = re.fullmatch(r"(.*?)(\d+)", key)
        if m and run and run[-1][0] == m.group(1) and run[-1][1] + 1 == int(m.group(2)):
            run.append((m.group(1), int(m.group(2)), key))
            continue
        flush()
        if m:
            run.append((m.group(1), int(m.group(2)), key))
        else:
            out.append(key)
    flush()
    return ", ".join(out)


def _num(x: float) -> str:
    return f"{x:g}"


def _attempts(n: int) -> str:
    return "attempt" if n == 1 else f"{n} attempts"


def task_traits(spec: dict) -> str:
    """What one task does, in a few words: "0.2 s, held at its start"."""
    parts = [f"{_num(spec.get('duration_s', 0))} s"]
    if spec.get("hold_at") == "start":
        parts.append("held at its start")
    elif spec.get("hold_at") == "finish":
        parts.append("held after its body finished, before returning")
    if spec.get("fail_times"):
        parts.append(f"fails on its first {_attempts(spec['fail_times'])}")
    if spec.get("crash_times"):
        parts.append(f"crashes its process on its first {_attempts(spec['crash_times'])}")
    if spec.get("priority") is not None:
        parts.append(f"priority {spec['priority']}")
    if spec.get("countdown_s"):
        parts.append(f"countdown {_num(spec['countdown_s'])} s")
    if spec.get("time_limit_s") is not None:
        parts.append(f"time limit {_num(spec['time_limit_s'])} s")
    if spec.get("pause_before_s"):
        parts.append(f"submitted after a {_num(spec['pause_before_s'])} s pause")
    return ", ".join(parts)


def tasks_in_words(tasks: list[dict]) -> str:
    """"5 tasks: t0 (0.2 s, held at its start), t1–t4 (0.5 s each)"."""
    groups: list[tuple[str, list[str]]] = []
    for spec in tasks:
        traits = task_traits(spec)
        if groups and groups[-1][0] == traits:
            groups[-1][1].append(spec["key"])
        else:
            groups.append((traits, [spec["key"]]))
    shown = ", ".join(f"{key_ranges(keys)} ({traits}{' each' if len(keys) > 1 else ''})" for traits, keys in groups)
    return f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}: {shown}"


def _when(event: dict, specs: dict[str, dict]) -> str:
    key, at = event.get("at_key"), event.get("at_event")
    hold = (specs.get(key) or {}).get("hold_at")
    if at == "held" and hold == "finish" or at == "succeeded":
        return f"when {key}'s body had finished but before it returned (so before its acknowledgement)"
    if at == "held":
        return f"when {key} had started (held at its start)"
    if at == "answer-held":
        return f"when the backend had {key} and the app had not yet answered its submission"
    return f"when {key} reached {at!r}"


def _struck(data: dict) -> str:
    return _what_struck(data) + _received(data.get("struck") or {})


def _received(struck: dict) -> str:
    """Whether the broker had every acknowledged task when a broker fault struck (chaos/infra/receipts.py)."""
    r = struck.get("received") or {}
    if r.get("received"):
        return f", after the broker had received all {r.get('ids')} acknowledged tasks ({r.get('waited_s')} s)"
    if r.get("received") is False:
        return f", though the broker never showed it had {', '.join(r.get('missing') or [])} ({r.get('waited_s')} s)"
    return ""


def _what_struck(data: dict) -> str:
    s = data.get("struck") or {}
    if "frozen" in s:  # kill-broker: settled, frozen, then killed at the heal
        settle = s.get("settle") or {}
        said = ("without waiting (its kind has no probe of what it has written)" if settle.get("settled") is None
                else f"once it said it had written what it acknowledged ({settle.get('waited_s')} s)" if settle["settled"]
                else f"— it never said it had written what it acknowledged ({settle.get('waited_s')} s), so it was not")
        return f"the {s.get('server', 'broker')} process (pid {s.get('pid')}) was frozen {said}"
    if s.get("signal"):
        what = s.get("server", "a server")
        if s.get("parent_pid"):
            return (f"the process running it (pid {s.get('pid')}, a child of the {what} process pid {s['parent_pid']}) "
                    f"was killed with {s['signal']}")
        if s["signal"] == "SIGSTOP":
            return f"the {what} process (pid {s.get('pid')}) was frozen (SIGSTOP)"
        verb = "stopped" if s["signal"] == "SIGTERM" else "killed"
        return f"the {what} process (pid {s.get('pid')}) was {verb} with {s['signal']}"
    if s.get("toxic") or s.get("type"):
        cut = s.get("cut")
        cut_words = (f", and a {cut['type']} toxic ({_attributes(cut)}, {cut['stream']} stream) cut each one as its "
                     "client next spoke" if cut else "")
        return (f"a Toxiproxy {s.get('type')} toxic ({_attributes(s)}) hit the broker connections ({s.get('stream', 'both')} "
                f"stream){cut_words}{_reserved(s)}")
    if s.get("action") == "disabled":
        return f"the broker's proxy was disabled: every broker connection cut and refused{_reserved(s)}"
    return f"{data.get('name', 'the fault')} struck"


def _attributes(toxic: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in (toxic.get("attributes") or {}).items())


def _reserved(struck: dict) -> str:
    """When a network fault struck relative to the workers' reservations (chaos/nemesis/network.py)."""
    r = struck.get("reservations") or {}
    if r.get("full"):
        return f", once the workers had reserved all they would ({r.get('waited_s')} s)"
    if r.get("full") is False:
        return f", though the workers never filled their reservations ({r.get('waited_s')} s)"
    return ""


def _healed(start: dict | None, end: dict | None) -> str:
    if not end:
        return "; it was never healed before the drain"
    took = end["mono"] - start["mono"] if start else None
    h = end.get("data", {}).get("healed") or {}
    span = f" {took:.2f} s later" if took is not None else ""
    if h.get("action") == "start" and h.get("killed"):
        return (f"; {h.get('server', 'it')} was killed ({h['killed'].get('signal')}) and started again{span}"
                + (f" (pid {h['pid']})" if h.get("pid") else ""))
    if h.get("action") == "start":
        return f"; {h.get('server', 'it')} started again{span}" + (f" (pid {h['pid']})" if h.get("pid") else "")
    if h.get("removed") or h.get("action") == "enabled":
        return f"; healed{span}"
    if h.get("action"):
        return f"; heal: {h['action']}{span}"
    return f"; healed{span}"


def fault_in_words(event: dict, ops: list[dict], specs: dict[str, dict]) -> str:
    """One scenario fault with what the history says happened: what struck, when, and its healing."""
    mine = [op for op in ops if op.get("kind") == "fault" and op.get("key") == event.get("at_key")
            and op.get("data", {}).get("name") == event.get("fault")]
    start = next((op for op in mine if op["type"] == "start"), None)
    note = next((op for op in mine if op["type"] == "note"), None)
    end = next((op for op in mine if op["type"] == "end"), None)
    if start is None:
        return f"{event.get('fault')} {_when(event, specs)}: not injected (no fault in the history)"
    text = f"{_when(event, specs)}, {_struck(note['data']) if note else event.get('fault') + ' struck'}"
    if event.get("phase") == "submit":
        text += ", and the tasks after it were submitted inside the fault's window"
    elif event.get("phase") == "last-submit":
        text += ", and the last task was submitted inside the fault"
    return f"{event.get('fault')}: {text}{_healed(start, end)}"


def _task_result(task: dict, quiesce: dict) -> str:
    status = task.get("status") or {}
    if status.get("supported") is False:
        said = "no status API"
    elif status.get("state"):
        said = f"status says {status['state']!r}" + (f" ({status['raw_state']})" if status.get("raw_state") not in (None, status["state"]) else "")
    else:
        said = "no status answer"
    outcome = task["outcome"]
    runs = len(task.get("attempts", []))
    ran = "never ran" if runs == 0 else f"{runs} attempt{'s' if runs > 1 else ''}, {task.get('successes', 0)} succeeded"
    drain = f" after the {_num(quiesce['deadline_s'])} s drain" if quiesce.get("deadline_s") is not None else ""
    if outcome in ("lost", "stuck"):
        return f"{outcome} ({ran}; {said}{drain})"
    if outcome in ("duplicated", "status-mismatch", "phantom", "indeterminate"):
        return f"{outcome} ({task.get('note') or ran})"
    return f"{outcome} ({ran}; {said})"


def outcomes_in_words(tasks: list[dict], violating: list[str], quiesce: dict) -> str:
    """"t0 stuck (...); t1–t4 ok" — the violating tasks first, each with why, then the others by outcome."""
    by_key = {t["key"]: t for t in tasks}
    parts: list[str] = []
    grouped: dict[str, list[str]] = {}
    for key in violating:
        if key in by_key:
            text = _task_result(by_key[key], quiesce)
            grouped.setdefault(text, []).append(key)
    parts += [f"{key_ranges(keys)} {text}" for text, keys in grouped.items()]
    rest: dict[str, list[str]] = {}
    for t in tasks:
        if t["key"] not in violating:
            detail = t["outcome"]
            if t["outcome"] not in GOOD and t.get("note"):
                detail += f" ({t['note']})"
            if t.get("redeliveries"):
                detail += (f" (re-delivered after the fault: {len(t['attempts'])} attempts"
                           + (f", done {t['recovery_s']:g} s after the fault" if t.get("recovery_s") is not None else "") + ")")
            rest.setdefault(detail, []).append(t["key"])
    parts += [f"{key_ranges(keys)} {outcome}" for outcome, keys in rest.items()]
    return "; ".join(parts)


def scenario_in_words(scenario: dict | None, cell: dict, ops: list[dict]) -> str:
    """The cell's counterexample as one sentence: tasks, faults, → outcomes."""
    verdict = cell["verdict"]
    tasks = cell["check"]["tasks"]
    specs = {t["key"]: t for t in (scenario or {}).get("tasks", [])}
    head = tasks_in_words(list(specs.values())) if specs else f"{len(tasks)} tasks"
    events = (scenario or {}).get("faults", [])
    faults = "; ".join(fault_in_words(e, ops, specs) for e in events) if events else "no fault injected"
    result = outcomes_in_words(tasks, verdict["result"].get("violating_keys", []), verdict["evidence"].get("quiesce", {}))
    return f"{head}; {faults} → {result}."


def fault_label(v: dict, *, prose: bool = False) -> str:
    """A verdict's fault as the matrix shows it (``kill-broker [rdb] (docker)``) or, with ``prose``, in a
    sentence (``kill-broker with Redis persistence rdb (docker)``); the persistence mode is named where
    the fault hits Redis itself, as in the terminal table."""
    label = "no fault" if prose and v["fault"] == "none" else v["fault"]
    if v["fault"] in DURABILITY_FAULTS:
        label += f" with Redis persistence {v['persistence']}" if prose else f" [{v['persistence']}]"
    if v.get("infra", "process") != "process":
        label += f" ({v['infra']})"
    return label


# Worst first: what the summary names before anything else (lost or twice-run work outranks a wrong
# status answer, which outranks a visible failure).
BAD_WEIGHT = {"lost": 3, "duplicated": 3, "phantom": 3, "stuck": 2, "indeterminate": 2, "status-mismatch": 1, "failed": 1,
              "rejected": 1}
FINDINGS_SHOWN = 4


def _bad(v: dict) -> dict[str, int]:
    counts = v["result"].get("counts", {})
    return {k: n for k, n in counts.items() if k in BAD_WEIGHT and isinstance(n, int) and n}


def _severity(v: dict) -> tuple:
    """How bad one verdict is: weighted share of its tasks that broke the claim, then their number."""
    bad, of = _bad(v), v["result"].get("relevant") or 0
    weight = sum(BAD_WEIGHT[k] * n for k, n in bad.items()) if bad else v["result"].get("violations") or 0
    share = weight / of if of else 0.0
    return share, v["result"].get("violations") or 0


def _tasks(v: dict) -> str:
    """ "4 lost and 1 status-mismatch of 5" (or "2 of 15 broke it" when the claim counts no task outcomes:
    priority inversions, late schedules...)."""
    bad = sorted(_bad(v).items(), key=lambda kv: (-BAD_WEIGHT[kv[0]], -kv[1]))
    of = v["result"].get("relevant", "?")
    if not bad:
        return f"{v['result'].get('violations', '?')} of {of} broke it"
    parts = [f"{n} {k}" for k, n in bad]
    return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + f" of {of}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _finding(vs: list[dict]) -> str:
    """One claim × profile, its faults worst first: "persistence on rq-default: 4 lost of 5 under
    kill-broker with Redis persistence rdb, 1 stuck of 5 under kill-worker"."""
    ranked = sorted(vs, key=_severity, reverse=True)
    shown = [f"{_tasks(v)} under {fault_label(v, prose=True)}" for v in ranked[:3]]
    more = f", and {_count(len(ranked) - 3, 'fault')} more" if len(ranked) > 3 else ""
    return f"{vs[0]['claim']} on {vs[0]['profile']}: {', '.join(shown)}{more}"


def _ranked_findings(verdicts: list[dict]) -> list[list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for v in verdicts:
        groups.setdefault((v["claim"], v["profile"]), []).append(v)
    return sorted(groups.values(), key=lambda vs: max(_severity(v) for v in vs), reverse=True)


def _listed(findings: list[list[dict]], shown: int) -> str:
    text = "; ".join(_finding(vs) for vs in findings[:shown])
    return text + (f"; and {len(findings) - shown} more in the matrix" if len(findings) > shown else "")


def summary_paragraph(report: dict) -> str:
    """What broke across the run, short and ranked: one sentence of totals, then the broken claims ×
    profiles worst first (each once, its faults inside it), then what the seed does not claim, what
    could not be judged and what crashed — each kind once, only when there is one."""
    verdicts = report.get("verdicts", [])
    errors = report.get("errors") or []
    crashed = f"{_count(len(errors), 'cell')} crashed before a verdict (see Errors)." if errors else ""
    if not verdicts:
        return " ".join(filter(None, ["This run recorded no verdicts.", crashed]))
    tally: dict[str, int] = {}
    for v in verdicts:
        tally[v["verdict"]] = tally.get(v["verdict"], 0) + 1
    profiles = {v["profile"] for v in verdicts}
    head = (f"{_count(len(verdicts), 'cell')} over {_count(len(profiles), 'profile')}: "
            + ", ".join(f"{tally[k]} {k}" for k in WORST_FIRST if k in tally) + ".")
    violated = _ranked_findings([v for v in verdicts if v["verdict"] == "violated"])
    not_claimed = _ranked_findings([v for v in verdicts if v["verdict"] == "not-claimed"])
    unclear = list(dict.fromkeys(f"{v['claim']} on {v['profile']}" for v in verdicts if v["verdict"] == "inconclusive"))
    parts = [head]
    if violated:
        parts.append(f"Broken, worst first — {_listed(violated, FINDINGS_SHOWN)}.")
    if not_claimed:
        parts.append(f"Not promised by the seed, and indeed not kept: {_listed(not_claimed, 2)}.")
    if unclear:
        parts.append(f"Nothing to judge (inconclusive): {', '.join(unclear[:3])}"
                     + (f" and {len(unclear) - 3} more" if len(unclear) > 3 else "") + ".")
    if not (violated or not_claimed or unclear):
        parts.append("Nothing broke: every claim checked held.")
    parts.append(crashed)
    return " ".join(filter(None, parts))


# how a drain that did not wait out its window or deadline ended, in words (CLI output, report page; the
# endings are chaos/quiesce.py's)
EARLY_ENDINGS = {
    "nothing-pending": "ended when the broker held nothing more to deliver",
    "beyond-recovery": "ended when the broker held nothing more to deliver and what was not settled had last run "
                       "in processes that had exited, with their parents",
}


def drain_in_words(q: dict) -> str:
    """One quiesce report (``QuiesceReport.to_json``) in words."""
    ending = EARLY_ENDINGS.get(q.get("ended_by", ""))
    return (f"drain: {q.get('drained_s')} s of a {q.get('deadline_s')} s deadline"
            + (" (timed out)" if q.get("timed_out") else "") + (f", {ending}" if ending else ""))
