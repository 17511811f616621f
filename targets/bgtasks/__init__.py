"""The bgtasks backend: its target app, servers, profiles and description (backend.toml)."""
