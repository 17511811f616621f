"""Where the chaos cells' pytest modules live: a checkout's ``tests/chaos``, or, in an installed
wheel, the package ``taskchaos_cells`` (the same files: pyproject.toml force-includes tests/chaos as
that package). ``taskchaos run`` and every printed replay command use what this module finds, so
that a team that installed taskchaos into its own environment runs and replays the same cells."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

CHECKOUT_CELLS = Path(__file__).resolve().parents[1] / "tests" / "chaos"
PACKAGE = "taskchaos_cells"


class CellModulesMissing(RuntimeError):
    """Neither a checkout's tests/chaos nor the installed package holds the cells."""


def in_checkout() -> bool:
    """Whether this is a checkout (its tests/chaos beside the package), not an installed wheel."""
    return CHECKOUT_CELLS.is_dir()


def cells_dir() -> Path:
    """The folder of the cells' modules (a checkout's first: it is what its tests and CI run)."""
    if in_checkout():
        return CHECKOUT_CELLS
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    raise CellModulesMissing(f"no chaos cells: neither {CHECKOUT_CELLS} (a checkout) nor the package {PACKAGE} (an "
                             "installed wheel) exists; reinstall taskchaos from its wheel (uv build), or run from a checkout")


def pytest_target() -> str:
    """How a printed command names the cells to pytest."""
    return "tests/chaos" if in_checkout() else str(cells_dir())


def outside_checkout() -> list[str]:
    """The pytest options the installed cells need, which a checkout's pyproject.toml gives its own: no
    configuration file (a team's own pytest settings, found above its virtualenv, are not the cells'),
    the cells' folder as rootdir, and importlib imports (nothing added to sys.path)."""
    return [] if in_checkout() else ["-c", os.devnull, f"--rootdir={cells_dir()}", "--import-mode=importlib"]
