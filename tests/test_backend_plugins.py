"""Backends are plugins: chaos/ never names one, and a backend folder that lacks a piece says which.

The generic layers read backend descriptions (chaos/backends.py); a backend's name in their code — a
string literal, an identifier, a key of a data file — is a backend fact that escaped its folder.
Docstrings and comments may name backends to explain a mechanism; code may not."""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import tokenize
from pathlib import Path

import pytest

from chaos.backends import TARGETS_DIR, BackendError, backends
from chaos.profile import ProfileError, load_profiles

CHAOS = Path(__file__).resolve().parents[1] / "chaos"
NAMES = sorted(backends())


def _code_tokens(path: Path):
    """(line, text) of every identifier and string literal in ``path`` that is not a docstring."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    starts_line = True
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT):
            starts_line = token.type != tokenize.COMMENT or starts_line
            continue
        if token.type == tokenize.STRING and starts_line:  # a string statement: a docstring
            starts_line = False
            continue
        starts_line = False
        if token.type in (tokenize.NAME, tokenize.STRING, tokenize.FSTRING_START if hasattr(tokenize, "FSTRING_START")
                          else tokenize.STRING):
            yield token.start[0], token.string


def _named(text: str) -> list[str]:
    words = set(re.split(r"[^a-z0-9]+", text.lower()))
    return [name for name in NAMES if name in words]


def test_there_is_a_folder_per_backend():
    assert {"bgtasks", "celery", "rq"} <= set(NAMES)
    for name, backend in backends().items():
        assert backend.folder == TARGETS_DIR / name
        assert (backend.folder / "backend.toml").is_file() and (backend.folder / "profiles.toml").is_file()
        module = backend.app.partition(":")[0]
        assert module.startswith(f"targets.{name}.") and importlib.util.find_spec(module), backend.app


def test_generic_code_names_no_backend():
    found = []
    for path in sorted(CHAOS.rglob("*.py")):
        for line, text in _code_tokens(path):
            if _named(text):
                found.append(f"{path.relative_to(CHAOS.parent)}:{line}: {text[:80]}")
    assert not found, "backend facts in generic code (move them to the backend's folder):\n" + "\n".join(found)


def test_generic_data_files_name_no_backend():
    found = []
    for path in sorted(CHAOS.rglob("*.toml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            key = line.split("#", 1)[0].split("=", 1)[0].strip().strip("[]")
            if "=" in line.split("#", 1)[0] or line.strip().startswith("["):
                if _named(key):
                    found.append(f"{path.relative_to(CHAOS.parent)}:{number}: {line.strip()}")
    assert not found, "backend facts in generic data files:\n" + "\n".join(found)


def _copy_backend(tmp_path: Path, name: str = "rq") -> Path:
    root = tmp_path / "targets"
    shutil.copytree(TARGETS_DIR / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_new_backend_is_one_folder(tmp_path):
    root = _copy_backend(tmp_path)
    shutil.copytree(root / "rq", root / "newq")
    description = root / "newq" / "backend.toml"
    description.write_text(description.read_text().replace('name = "rq"', 'name = "newq"'))
    profiles = root / "newq" / "profiles.toml"
    profiles.write_text(profiles.read_text().replace("[profiles.rq-", "[profiles.newq-"))
    backends.cache_clear()
    try:
        found = load_profiles(root=root)
        assert {p.backend for p in found.values()} == {"rq", "newq"}
        assert found["newq-default"].broker == "redis"
    finally:
        backends.cache_clear()


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "profiles.toml").unlink(), "no profiles.toml"),
    (lambda f: _edit(f, "[capabilities]\n", "[capabilities]\nteleports = true\n"), "unknown: teleports"),
    (lambda f: _edit(f, 'executor = "worker"', 'executor = "thread"'), "executor = 'thread'; choose one of worker, app"),
    (lambda f: _edit(f, 'name = "rq"', 'name = "other"'), "but the folder is 'rq'"),
    (lambda f: _edit(f, "[servers.worker]\n", "[servers.wrk]\n"), "needs a [servers.worker] table"),
    (lambda f: _edit(f, 'title = "RQ"\n', ""), "lacks title"),
])
def test_a_backend_folder_missing_a_piece_says_which(tmp_path, damage, message):
    root = _copy_backend(tmp_path)
    damage(root / "rq")
    backends.cache_clear()
    try:
        with pytest.raises((BackendError, ProfileError), match=re.escape(message)) as error:
            load_profiles(root=root)
        assert str(root / "rq") in str(error.value)
    finally:
        backends.cache_clear()


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "backend.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_backend_on_an_unknown_broker_kind_is_refused(tmp_path):
    root = _copy_backend(tmp_path)
    _edit(root / "rq", 'brokers = ["redis"]', 'brokers = ["kafka"]')
    backends.cache_clear()
    try:
        with pytest.raises(ProfileError, match=r"backend.toml: brokers: unknown broker kind 'kafka'; kinds: redis"):
            load_profiles(root=root)
    finally:
        backends.cache_clear()
