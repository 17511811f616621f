"""Scenarios: serialisable plans of task specs and faults (``model``), and the workloads that make
them (``workloads``: fixed lists for now)."""
