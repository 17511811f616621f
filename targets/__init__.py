"""Target apps: one FastAPI app per backend, all speaking the HTTP contract of ``targets/README.md``.

Targets import only ``chaos.records`` (the task spec and the ledger writer), never the harness.
"""
