"""The expectations file: the real one is valid and complete; bad ones fail with file and line."""

import pytest

from chaos.judgement.claims import CLAIMS
from chaos.judgement.expectations import EXPECTATIONS_FILE, Expectations, ExpectationError
from chaos.nemesis import fault_labels
from chaos.profile import durability_cells, load_profiles

KNOWN = {"claims": list(CLAIMS), "faults": ["none", *fault_labels()], "profiles": list(load_profiles())}


def test_repository_expectations_are_valid():
    Expectations(EXPECTATIONS_FILE, **KNOWN)


def test_every_broker_cell_names_every_durability_mode():
    """Of every profile run in those cells (a profile made for other cells only is not)."""
    e = Expectations(EXPECTATIONS_FILE, **KNOWN)
    profiles = load_profiles()
    for fault in ("restart-broker", "kill-broker"):
        for profile_id in durability_cells():
            profile, _, mode = profile_id.partition("@")
            if profiles[profile].not_made_for("persistence", fault, mode):
                assert e.expected("persistence", fault, profile, mode) is None, (fault, profile, mode)
                continue
            assert e.expected("persistence", fault, profile, mode) is not None, (fault, profile, mode)


def write(tmp_path, text):
    path = tmp_path / "expectations.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, line", [
    ("[persistence.kill-worker\nbgtasks = 'holds'\n", 1),
    ('[persistence.kill-worker]\nbgtasks = "holds"\n\n[retry.none]\nrq-default = holds\n', 5),
])
def test_malformed_toml_names_the_file_and_line(tmp_path, text, line):
    path = write(tmp_path, text)
    with pytest.raises(ExpectationError, match=f"{path}:{line}: malformed TOML: .*line {line}"):
        Expectations(path, **KNOWN)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ExpectationError, match=f"{tmp_path / 'nope.toml'}: cannot read the expectations file"):
        Expectations(tmp_path / "nope.toml", **KNOWN)


@pytest.mark.parametrize("text, line, message", [
    ('[persistence.kill-worker]\nbgtasks = "holds"\n\n[speed.kill-worker]\nbgtasks = "holds"\n', 4, "unknown claim 'speed'"),
    ('[persistence.kill-worker]\nbgtask = "holds"\n', 2, "unknown profile 'bgtask'"),
    ('[persistence.unplug]\nbgtasks = "holds"\n', 1, "unknown fault 'unplug'"),
    ('[persistence.kill-worker]\nbgtasks = "fine"\n', 2, "unknown verdict 'fine'"),
    ('[persistence.kill-broker]\nrq-default = { fsync = "holds" }\n', 2, "unknown persistence mode 'fsync'"),
    ('[persistence.kill-broker]\nrq-default = { rdb = "kept" }\n', 2, "unknown verdict 'kept'"),
    ('[retry.none]\nrq-default = "holds"\n\n[persistence]\nkill-worker = "holds"\n', 5,
     r"\[persistence.kill-worker\] must be a table of profiles"),
    ('# a comment\nretry = "holds"\n', 2, "'retry' must be a table of faults"),
    ('[retry.none]\nrq-default = 3\n', 2, "unknown verdict 3"),
])
def test_bad_entries_name_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ExpectationError, match=f"{path}:{line}: {message}"):
        Expectations(path, **KNOWN)


def test_lookup_by_persistence_mode(tmp_path):
    path = write(tmp_path, '[persistence.kill-broker]\nrq-default = { none = "violated", rdb = "holds" }\n'
                           '[persistence.kill-worker]\nrq-default = "violated"\n')
    e = Expectations(path, **KNOWN)
    assert e.expected("persistence", "kill-broker", "rq-default", "none") == "violated"
    assert e.expected("persistence", "kill-broker", "rq-default", "rdb") == "holds"
    assert e.expected("persistence", "kill-broker", "rq-default", "aof-always") is None
    assert e.expected("persistence", "kill-worker", "rq-default", "aof-always") == "violated"
