"""The celery backend: its target app, servers, profiles and description (backend.toml)."""
