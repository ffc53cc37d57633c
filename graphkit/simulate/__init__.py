"""Synthetic investigations with ground truth (``graphkit simulate``).

A seeded world (households, workplaces, friendship communities, organised groups with a
hierarchy, brokers and money mules) produces the files a real case collects: two operators'
CDRs and subscriber KYC, bank account KYC and transactions, police person records and a cell
tower list, each with its ingest mapping and a ``case.toml``; planted hand-offs, blackouts,
swaps and hidden ties, and noise at configured rates, are recorded in ``truth/``.
"""

from __future__ import annotations

from graphkit.simulate.spec import NoiseSpec, SimulationSpec
from graphkit.simulate.stage import SimulationResult, simulate

__all__ = ["NoiseSpec", "SimulationResult", "SimulationSpec", "simulate"]
