"""The dropping backend (broken on purpose, for the quality tests): its target app, servers, profiles and description (backend.toml)."""
