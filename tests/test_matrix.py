"""The verdict matrix over hand-built verdicts: the seed's rows in order, one column per profile,
cells aggregated worst first with their evidence, "not run" where nothing ran."""

from gate_data import verdict

from chaos.judgement.verdict import seed_table
from chaos.report.matrix import NOT_RUN, build_matrix, matrix_markdown, matrix_text

PROFILES = ["bgtasks", "celery-default", "rq-default"]


def persistence_run() -> list[dict]:
    return [
        verdict("persistence", "kill-worker", "celery-default", "violated", violations=1, counts={"lost": 1, "ok": 4}),
        verdict("persistence", "kill-redis", "celery-default", "holds", persistence="aof-always"),
        verdict("persistence", "kill-redis", "celery-default", "holds", persistence="aof-always", infra="docker"),
        verdict("persistence", "kill-redis", "celery-default", "violated", persistence="none", violations=4,
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
    assert row(matrix, "scheduled")["seed_says"] == {"bgtasks": False, "celery": True, "rq": False, "broken": False}


def test_a_cell_aggregates_faults_modes_and_infra_worst_first():
    cell = row(build_matrix(persistence_run(), PROFILES), "persistence")["cells"]["celery-default"]
    assert cell["total"] == 4
    assert cell["counts"] == {"violated": 2, "holds": 2}
    assert cell["summary"] == "violated 2 of 4 faults (holds 2)"
    assert cell["short"] == "violated 2/4 (holds 2)"
    assert [e["verdict"] for e in cell["faults"]] == ["violated", "violated", "holds", "holds"]
    worst = cell["faults"][0]
    assert worst["label"] == "kill-worker@aof-everysec"
    assert worst["counts"] == {"lost": 1, "ok": 4} and worst["violating_keys"] == ["t0"]
    assert worst["scenario"].endswith("persistence-kill-worker-celery-default@aof-everysec/scenario.json")
    assert worst["replay"].startswith("taskchaos replay ") and "--fault kill-worker" in worst["replay"]
    assert {e["label"] for e in cell["faults"]} >= {"kill-redis@aof-always", "kill-redis@aof-always [docker]"}


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
    assert any(line.startswith("persistence") and "violated 2/4 (holds 2)" in line and "not-claimed 1/1" in line
               for line in lines)
    assert any(line.startswith("status") and line.count(NOT_RUN) == 3 for line in lines)
    md = matrix_markdown(matrix, base="/runs/r1")
    assert "| persistence: an accepted task survives restarts | not-claimed 1 of 1 fault | violated 2 of 4 faults (holds 2) | not run |" in md
    assert "scenario `cells/persistence-kill-redis-celery-default@none/scenario.json`" in md
    assert "taskchaos replay /runs/r1/cells/retry-none-rq-default@aof-everysec/scenario.json" in md
    assert "kill-redis@aof-always" not in md  # cells that hold are summarised, not listed as evidence
