"""Expectations: what each cell is expected to show, from ``expectations.toml`` (data).

Layout: one table per claim and fault, ``[<claim>.<fault>]``, whose keys are profile names; a value is
a verdict, or an inline table from persistence mode to verdict. The gate (and the chaos tests, as
strict xfail) fails on any cell whose observed verdict differs, in either direction.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from chaos.judgement.verdict import VERDICTS
from chaos.profile import PERSISTENCE_MODES
from chaos.renames import current_fault

EXPECTATIONS_FILE = Path(__file__).resolve().parents[2] / "expectations.toml"


class ExpectationError(ValueError):
    pass


def _line_of(text: str, claim: str, fault: str | None = None, key: str | None = None) -> int:
    """The line that defines ``[claim.fault]`` (or, with ``key``, the key inside that table); a claim
    or fault given as a plain key (``claim = ...``, or ``fault = ...`` under ``[claim]``) is found too."""
    lines = text.splitlines()
    header = None
    table = None  # the table header the scan is inside
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped.split("]", 1)[0].strip("[ ")
            if table.startswith(f"{claim}.") and (fault is None or table == f"{claim}.{fault}"):
                header = number
                break
            if fault is None and table == claim:
                header = number
                break
            continue
        name = stripped.split("=", 1)[0].strip() if "=" in stripped else None
        if name is not None and ((table is None and name in (claim, f"{claim}.{fault}"))
                                 or (table == claim and name == fault)):
            return number
    if header is None or key is None:
        return header or 0
    for number in range(header + 1, len(lines) + 1):
        stripped = lines[number - 1].strip()
        if stripped.startswith("["):
            break
        if stripped.split("=", 1)[0].strip() == key:
            return number
    return header


class Expectations:
    def __init__(self, path: Path = EXPECTATIONS_FILE, *, claims=None, faults=None, profiles=None):
        self.path = Path(path)
        try:
            text = self.path.read_text()
        except OSError as exc:
            raise ExpectationError(f"{self.path}: cannot read the expectations file ({exc.strerror}): pass an "
                                   f"existing file (default: {EXPECTATIONS_FILE})") from exc
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"at line (\d+)", str(exc))
            line = f"{where.group(1)}:" if where else ""
            raise ExpectationError(f"{self.path}:{line} malformed TOML: {exc}") from exc
        self.data = self._renamed(self.data, text)
        self._validate(text, claims, faults, profiles)

    def _renamed(self, data: dict, text: str) -> dict:
        """Faults renamed since the file was written (chaos/renames.py) read as named now."""
        out = {}
        for claim, by_fault in data.items():
            if not isinstance(by_fault, dict):
                out[claim] = by_fault
                continue
            out[claim] = {}
            for fault, value in by_fault.items():
                name = current_fault(fault)
                if name in out[claim]:
                    old = fault if fault != name else next(f for f in by_fault if f != name and current_fault(f) == name)
                    raise ExpectationError(f"{self.path}:{_line_of(text, claim, old)}: [{claim}.{old}] is the old "
                                           f"name of [{claim}.{name}], which the file also has: keep one")
                out[claim][name] = value
        return out

    def _validate(self, text, claims, faults, profiles) -> None:
        def fail(msg: str, *where):
            raise ExpectationError(f"{self.path}:{_line_of(text, *where)}: {msg}")

        for claim, by_fault in self.data.items():
            if claims is not None and claim not in claims:
                fail(f"unknown claim {claim!r} (known: {', '.join(claims)})", claim)
            if not isinstance(by_fault, dict):
                fail(f"{claim!r} must be a table of faults, like [{claim}.kill-worker]", claim)
            for fault, by_profile in by_fault.items():
                if faults is not None and fault not in faults:
                    fail(f"unknown fault {fault!r} (known: {', '.join(faults)})", claim, fault)
                if not isinstance(by_profile, dict):
                    fail(f"[{claim}.{fault}] must be a table of profiles", claim, fault)
                for profile, value in by_profile.items():
                    if profiles is not None and profile not in profiles:
                        fail(f"unknown profile {profile!r} (known: {', '.join(profiles)})", claim, fault, profile)
                    if isinstance(value, dict):
                        for mode in value:
                            if mode not in PERSISTENCE_MODES:
                                fail(f"unknown persistence mode {mode!r} for {profile} (known: "
                                     f"{', '.join(PERSISTENCE_MODES)})", claim, fault, profile)
                    for v in (value.values() if isinstance(value, dict) else [value]):
                        if v not in VERDICTS:
                            fail(f"unknown verdict {v!r} for {claim}.{fault}.{profile} (one of {', '.join(VERDICTS)})",
                                 claim, fault, profile)

    def entries(self) -> Iterator[tuple[str, str, str, str | None, str]]:
        """Every expectation: (claim, fault, profile, persistence mode or None for any, verdict)."""
        for claim, by_fault in self.data.items():
            for fault, by_profile in by_fault.items():
                for profile, value in by_profile.items():
                    if isinstance(value, dict):
                        for mode, verdict in value.items():
                            yield claim, fault, profile, mode, verdict
                    else:
                        yield claim, fault, profile, None, value

    def expected(self, claim: str, fault: str, profile: str, persistence: str) -> str | None:
        value = self.data.get(claim, {}).get(fault, {}).get(profile)
        if isinstance(value, dict):
            return value.get(persistence)
        return value
