"""Where a table or a key sits in a TOML file, for error messages ("file:line: what is wrong").

tomllib keeps no positions, so the file's text is scanned: the table's header line, then the first
line that sets the key before the next header. Good enough to point a person at the line; None when
not found (an inline table, a dotted key), and the message then names the file alone.
"""

from __future__ import annotations

import re
from pathlib import Path


def line_of(path: Path, table: str | None, key: str | None = None) -> int | None:
    """1-based line of ``key`` in ``[table]`` (``table`` None: the top level), or of the header itself."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    header = re.compile(r"^\s*\[\s*" + re.escape(table) + r"\s*\]\s*(#.*)?$") if table else None
    setting = re.compile(r"^\s*" + re.escape(key) + r"\s*=") if key else None
    inside = table is None
    for number, text in enumerate(lines, 1):
        if re.match(r"^\s*\[", text):
            if inside and table is None:
                return None  # the top level ended
            inside = bool(header and header.match(text))
            if inside and setting is None:
                return number
            continue
        if inside and setting and setting.match(text):
            return number
    return None


def where(path: Path, table: str | None, key: str | None = None) -> str:
    """``path:line`` when the line is found, else ``path``."""
    line = line_of(path, table, key)
    return f"{path}:{line}" if line else str(path)
