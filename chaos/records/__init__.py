"""Records: what happened, written down by the parties that saw it.

- ``taskspec``: what a submitted task does (the JSON contract shared by the harness and targets).
- ``ledger``: the ground truth of what ran, appended by task bodies, safe against kill -9.
- ``history``: the client's side — submissions, status answers, faults — with monotonic times.

This package imports nothing else of taskchaos, so targets can use it without pulling in the harness.
"""
