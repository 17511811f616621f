"""Claims: one module per cell row of the seed's table, registered by name in ``CLAIMS``."""

from chaos.judgement.claims.base import Claim, ClaimResult, Evidence, OutcomeClaim
from chaos.judgement.claims.distributed import Distributed
from chaos.judgement.claims.persistence import Persistence
from chaos.judgement.claims.priority import Priority
from chaos.judgement.claims.retry import Retry
from chaos.judgement.claims.throughput import Throughput

CLAIMS: dict[str, Claim] = {c.name: c for c in (Persistence(), Retry(), Priority(), Distributed(), Throughput())}

__all__ = ["CLAIMS", "Claim", "ClaimResult", "Evidence", "OutcomeClaim"]
