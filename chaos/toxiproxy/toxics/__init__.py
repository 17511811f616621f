"""Toxic types, one per module, registered by name (``REGISTRY``); see ``base.py`` for the
interface. Importing this package registers all eight types of Toxiproxy 2.12 that taskchaos
uses: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop."""

from . import bandwidth, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout  # noqa: F401
from .base import REGISTRY, Attribute, Toxic, new_toxic, register
from .noop import NoopToxic, pass_through

__all__ = ["REGISTRY", "Attribute", "NoopToxic", "Toxic", "new_toxic", "pass_through", "register"]
