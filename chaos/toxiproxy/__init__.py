"""Toxiproxy for taskchaos: network faults on the connections to Redis.

The nemesis injects latency, bandwidth limits, timeouts, resets... through the Toxiproxy HTTP API.
This package provides both sides of that API:

- ``select.py`` — which Toxiproxy to use: a real server (``TOXIPROXY_URL``, or the
  ``toxiproxy-server`` binary) or the embedded one; ``process.py`` starts and stops it.
- ``client.py`` — what the harness calls (a wrapper over the toxiproxy-python package).
- ``server.py`` — the embedded, Toxiproxy-2.12-compatible server, run as its own process
  (``python -m chaos.toxiproxy.server``), built from ``api.py`` / ``httpwire.py`` (HTTP API),
  ``collection.py`` / ``proxy.py`` (proxies), ``connection.py`` / ``link.py`` / ``stream.py``
  (connections and their pipelines) and ``toxics/`` (one toxic type per module).

``README.md`` says how to run it and lists where it knowingly differs from the real server.
Nothing is imported here: importing the package stays cheap.
"""
