"""Judgement: the checker (history × ledger × status → one outcome per task), the claims (outcomes →
a verdict per claim), and the expectations that gate them. Imports only records, scenario and
profile: never the infra or the runner."""
