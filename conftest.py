"""Wire the taskchaos plugin for a plain ``pytest`` at the repository root.

When taskchaos is installed (``uv sync``) its pytest11 entry point loads the plugin already; only a
checkout that is not installed needs this line.
"""

import importlib.metadata

if not any(ep.name == "taskchaos" for ep in importlib.metadata.entry_points(group="pytest11")):
    pytest_plugins = ["chaos.plugin"]
