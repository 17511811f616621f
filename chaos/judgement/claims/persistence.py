"""Persistence — "an accepted task survives restarts" (seed: 任务持久化).

Property: every acknowledged task that its backend should complete (it asks for fewer failures and
crashes than the profile allows attempts) completes within the drain deadline, despite the fault.
Broken by ``lost``, ``stuck`` and ``failed`` (a task killed by the fault and marked failed did not
survive either). Duplicates do not break it; they are counted and shown.

Checked under every fault of chaos/nemesis (worker kills and graceful stops, a rolling deploy, child, Redis restarts and kills under each
persistence mode, the broker frozen past its clients' timeouts, the broker at its memory limit under each eviction policy, the Toxiproxy faults in both phases, and the producer killed between the hand-over and
its answer, the client then submitting again).
"""

from chaos.judgement.claims.base import OutcomeClaim


class Persistence(OutcomeClaim):
    name = "persistence"
    seed_row = "persistence"
    property = "every acknowledged task completes within the drain deadline despite the fault"
    faults = ("kill-worker", "kill-child", "stop-worker-1s", "stop-worker-30s", "rolling-deploy", "restart-broker", "kill-broker", "broker-down-submit", "broker-down-run",
              "latency-submit", "latency-run", "reset-peer-submit", "reset-peer-run", "timeout-submit",
              "timeout-run", "bandwidth-submit", "bandwidth-run", "limit-data-submit", "limit-data-run",
              "slicer-submit", "slicer-run", "slow-close-submit", "slow-close-run", "kill-producer", "pause-broker",
              "memory-noeviction-submit", "memory-noeviction-run", "memory-allkeys-lru-submit", "memory-allkeys-lru-run",
              "memory-volatile-lru-submit", "memory-volatile-lru-run")

    def relevant(self, spec, profile) -> bool:
        return spec.expects_success(profile.max_attempts)

    def violates(self, outcome: str) -> bool:
        return outcome in ("lost", "stuck", "failed")
