"""Claims: one module per cell row of the seed's table, registered by name in ``CLAIMS`` (in the
seed table's order; integrity, beyond the seed's table, last)."""

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, OutcomeClaim
from chaos.judgement.claims.cancellation import Cancellation
from chaos.judgement.claims.distributed import Distributed
from chaos.judgement.claims.integrity import Integrity
from chaos.judgement.claims.monitoring import Monitoring
from chaos.judgement.claims.persistence import Persistence
from chaos.judgement.claims.priority import Priority
from chaos.judgement.claims.retry import Retry
from chaos.judgement.claims.scheduled import Scheduled
from chaos.judgement.claims.status import Status
from chaos.judgement.claims.throughput import Throughput
from chaos.judgement.claims.timeout import Timeout

CLAIMS: dict[str, Claim] = {c.name: c for c in (Persistence(), Retry(), Status(), Scheduled(), Priority(), Distributed(),
                                                 Timeout(), Cancellation(), Monitoring(), Throughput(),
                                                 Integrity())}

__all__ = ["CLAIMS", "Claim", "ClaimResult", "Evidence", "OutcomeClaim"]
