"""The verdict matrix over hand-built verdicts: the seed's rows in order, one column per profile,
cells aggregated worst first with their evidence, "not run" where nothing ran."""

from gate_data import verdict

from chaos.judgement.verdict import seed_table
from chaos.report.matrix import NOT_RUN, build_matrix, matrix_markdown, matrix_text, tasks_text

PROFILES = ["bgtasks", "celery-default", "rq-default"]


def persistence_run() -> list[dict]:
    return [
        verdict("persistence", "kill-worker", "celery-default", "violated", violations=1, counts={"lost": 1, "ok": 4}),
        verdict("persistence", "kill-broker", "celery-default", "holds", persistence="aof-always"),
        verdict("persistence", "kill-broker", "celery-default", "holds", persistence="aof-always", infra="docker"),
        verdict("persistence", "kill-broker", "celery-default", "violated", persistence="none", violations=4,
                counts={"lost": 4, "ok": 1}),
        verdict("persistence", "kill-worker", "bgtasks", "not-claimed", violations=5, counts={"lost": 5}),
        verdict("retry", "none", "rq-default", "violated", violations=2, relevant=2, counts={"failed": 2}),
    ]


def row(matrix, claim):
    (found,) = [r for r in matrix["rows"] if r["claim"] == claim]
    return found


def test_rows_are_the_seed_rows_in_order_and_columns_the_profiles():
    matrix = build_matrix(persistence_run(), PROFILES)
    assert [r["claim"] for r in matrix["rows"]] == list(seed_table())
    assert matrix["columns"] == PROFILES
    assert row(matrix, "persistence")["row"] == "persistence: an accepted task survives restarts"
    assert row(matrix, "scheduled")["seed_says"] == {"bgtasks": False, "celery": True, "rq": False, "dropping": False}


def test_a_cell_aggregates_faults_modes_and_infra_worst_first():
    cell = row(build_matrix(persistence_run(), PROFILES), "persistence")["cells"]["celery-default"]
    assert cell["total"] == 4
    assert cell["counts"] == {"violated": 2, "holds": 2}
    assert cell["summary"] == "violated 2 of 4 faults (holds 2)"
    assert cell["short"] == "violated 2/4 (holds 2)"
    assert cell["tasks"] == {"of": 20, "counts": {"lost": 5, "ok": 15}, "outcomes": True}  # summed over the 4 variants
    assert cell["tasks_text"] == "5 lost of 20 tasks"
    assert [e["verdict"] for e in cell["faults"]] == ["violated", "violated", "holds", "holds"]
    worst = cell["faults"][0]
    assert worst["label"] == "kill-worker@aof-everysec"
    assert worst["counts"] == {"lost": 1, "ok": 4} and worst["violating_keys"] == ["t0"]
    assert worst["scenario"].endswith("persistence-kill-worker-celery-default@aof-everysec/scenario.json")
    assert worst["replay"].startswith("taskchaos replay ") and "--fault kill-worker" in worst["replay"]
    assert {e["label"] for e in cell["faults"]} >= {"kill-broker@aof-always", "kill-broker@aof-always [docker]"}


def test_not_run_rows_and_profiles():
    matrix = build_matrix(persistence_run(), PROFILES)
    assert all(c["summary"] == NOT_RUN and c["faults"] == [] for c in row(matrix, "status")["cells"].values())
    assert not row(matrix, "status")["ran"] and row(matrix, "retry")["ran"]
    assert row(matrix, "retry")["cells"]["celery-default"]["summary"] == NOT_RUN
    assert row(matrix, "retry")["cells"]["rq-default"]["summary"] == "violated 1 of 1 fault"


def test_measured_cells_keep_their_figures_and_unknown_claims_and_profiles_are_added():
    run = [verdict("throughput", "none", "rq-default", "measured", measurements={"tasks_per_s": 3.5}),
           verdict("speed", "none", "broken", "holds")]
    matrix = build_matrix(run, PROFILES)
    cell = row(matrix, "throughput")["cells"]["rq-default"]
    assert cell["summary"] == "measured 1 of 1 fault"
    assert cell["faults"][0]["measurements"] == {"tasks_per_s": 3.5}
    assert matrix["rows"][-1]["claim"] == "speed" and matrix["columns"][-1] == "broken"


def test_text_and_markdown():
    matrix = build_matrix(persistence_run(), PROFILES)
    text = matrix_text(matrix)
    lines = text.splitlines()
    assert [c.strip() for c in lines[0].split("|")] == ["claim (seed row)", *PROFILES]
    assert any(line.startswith("persistence") and "violated 2/4 (holds 2) [5 lost/20]" in line
               and "not-claimed 1/1 [5 lost/5]" in line for line in lines)
    assert any(line.startswith("retry") and "violated 1/1 [2 failed/2]" in line for line in lines)
    assert any(line.startswith("status") and line.count(NOT_RUN) == 3 for line in lines)
    md = matrix_markdown(matrix, base="/runs/r1")
    assert ("| persistence: an accepted task survives restarts | not-claimed 1 of 1 fault — 5 lost of 5 tasks | "
            "violated 2 of 4 faults (holds 2) — 5 lost of 20 tasks | not run |") in md
    assert "scenario `cells/persistence-kill-broker-celery-default@none/scenario.json`" in md
    assert "taskchaos replay /runs/r1/cells/retry-none-rq-default@aof-everysec/scenario.json" in md
    assert "kill-broker@aof-always" not in md  # cells that hold are summarised, not listed as evidence


def test_a_cell_counts_the_tasks_it_lost_not_only_its_faults():
    """Same fault, same verdict, same "1/1": the tasks lost, duplicated and retried tell them apart."""
    run = [verdict("persistence", "kill-worker", "celery-default", "violated", violations=3, relevant=6,
                   counts={"lost": 3, "ok": 3}),
           verdict("persistence", "kill-worker", "rq-default", "violated", violations=1, relevant=6,
                   counts={"lost": 1, "ok": 4, "retried": 1}),
           verdict("distributed", "kill-worker", "rq-default", "violated", violations=2, relevant=6,
                   counts={"duplicated": 2, "retried": 2, "ok": 2})]
    cells = row(build_matrix(run, PROFILES), "persistence")["cells"]
    three, one = cells["celery-default"], cells["rq-default"]
    assert three["short"] == one["short"] == "violated 1/1"
    assert three["tasks_text"] == "3 lost of 6 tasks" and one["tasks_text"] == "1 lost, 1 retried of 6 tasks"
    assert row(build_matrix(run, PROFILES), "distributed")["cells"]["rq-default"]["tasks_text"] == \
        "2 duplicated, 2 retried of 6 tasks"
    text = matrix_text(build_matrix(run, PROFILES))
    assert "violated 1/1 [3 lost/6]" in text and "violated 1/1 [1 lost 1 retried/6]" in text


def test_task_tallies_of_held_and_non_outcome_claims():
    run = [verdict("persistence", "kill-worker", "rq-default", "holds", relevant=5, counts={"ok": 5}),
           verdict("priority", "none", "rq-default", "violated", violations=2, relevant=15,
                   counts={"inversions": 2, "started": 6})]
    matrix = build_matrix(run, PROFILES)
    assert row(matrix, "persistence")["cells"]["rq-default"]["tasks_text"] == "5 tasks ok"
    assert row(matrix, "priority")["cells"]["rq-default"]["tasks_text"] == "2 inversions, 6 started of 15"
    assert tasks_text(row(matrix, "status")["cells"]["rq-default"]["tasks"]) == ""
