"""Parameters of the synthetic investigation generator (frozen, self-validating)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from graphkit.errors import InputError

__all__ = ["OPT_IN_PLANTS", "NoiseSpec", "SimulationSpec"]

#: opt-in plants (off by default): ``to_dict`` leaves each out while it is off
OPT_IN_PLANTS: tuple[str, ...] = ("meetings", "devices", "hard_handoffs", "scenes")


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"noise rate {name} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class NoiseSpec:
    """Rates of the planted noise. Counts are drawn exactly (``round(rate * n)`` items chosen
    without replacement), so the realised rates match these up to rounding.

    Record-level rates apply to each person-bearing record (subscriber, account holder,
    police record); CDR rates apply to each event row of the operator files.
    """

    name_typo: float = 0.05
    """a name with one character inserted, deleted, substituted or transposed"""
    nickname: float = 0.06
    """a first name replaced by a nickname (Robert -> Bob)"""
    transliteration: float = 0.03
    """a name replaced by another transliteration (Mohammed -> Muhammad)"""
    swapped_name_order: float = 0.03
    """first and last name exchanged"""
    dob_missing: float = 0.08
    """no date of birth"""
    dob_partial: float = 0.05
    """year only or year and month"""
    address_variant: float = 0.15
    """abbreviated street type, flat prefix, case change or missing postcode"""
    cdr_duplicate: float = 0.002
    """exact duplicate rows in operator CDR files"""
    cdr_malformed: float = 0.001
    """rows with a wrong column count, an unparseable date or no caller"""

    def __post_init__(self) -> None:
        for key, value in asdict(self).items():
            _check_rate(key, value)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate. Same spec and seed -> byte-identical output.

    ``scale`` multiplies every communication rate (CDR volume is about
    ``people * days * events_per_person_day * scale`` rows).
    """

    seed: int = 7
    people: int = 2000
    days: int = 30
    groups: int = 4
    scale: float = 1.0
    start_date: dt.date = dt.date(2024, 1, 8)
    events_per_person_day: float = 3.0
    member_share: float = 0.04
    """share of the population in organised groups"""
    member_background_factor: float = 0.4
    """rate factor of members' household, work and friendship ties (their phone serves the
    group first)"""
    upward_call_share: float = 0.45
    """share of the calls and texts between two ranks of a group that the lower rank places
    (lieutenant -> boss this + 0.05, soldier -> lieutenant this - 0.05, soldier -> boss this -
    0.10; see docs/simulate.md for its calibration)"""
    relay_share: float = 0.5
    """probability that a call or text from a superior to a direct subordinate (boss ->
    lieutenant, lieutenant -> soldier of his crew) is an order the subordinate passes on to his
    own subordinates (an assumption: no published rate; docs/simulate.md)"""
    relay_reach: float = 0.6
    """share of his own subordinates a relaying subordinate contacts (at least one)"""
    relay_delay_median_s: float = 600.0
    """median delay between the end of the order and each relayed contact (log-normal)"""
    relay_delay_sigma: float = 0.9
    """log-normal sigma of that delay (0.9: 90% of relays within 3.2 x the median)"""
    handoff_contact_drift: float = 0.12
    """probability that each of a person's ties ends at their hand-off"""
    landline_share: float = 0.3
    """share of multi-person households with a shared landline"""
    hidden_tie_share: float = 0.08
    """share of group and friendship ties that never appear in the CDRs"""
    handoff_share: float = 0.9
    """share of a group's members who take part in its burner hand-off"""
    blackout_group_share: float = 0.75
    """share of groups with a coordinated blackout before an operation"""
    individual_blackouts_per_1000: float = 3.0
    swaps_per_1000: float = 4.0
    """SIM swaps and handset swaps (each) per 1,000 people"""
    police_background_share: float = 0.08
    """share of the background population with a police/intelligence record"""
    noise: NoiseSpec = field(default_factory=NoiseSpec)
    meetings: bool = False
    """plant repeated meetings of group members (opt-in; graphkit/simulate/meetings.py)"""
    devices: bool = False
    """plant extra SIM and handset swaps and a cloned SIM (opt-in; simulate/devices.py)"""
    hard_handoffs: bool = False
    """plant harder hand-offs: reused successors, old numbers kept alive, weak contact overlap,
    no IMEI, one group relabelling (opt-in; simulate/handoff_cases.py)"""
    scenes: bool = False
    """plant tower-dump scenes: a crew at several, one-time visitors, a usually active member
    silent during each (opt-in; simulate/scenes.py)"""

    def __post_init__(self) -> None:
        if self.people < 100:
            raise InputError(f"people must be at least 100, got {self.people}")
        if self.days < 14:
            raise InputError(f"days must be at least 14, got {self.days}")
        if self.groups < 1:
            raise InputError(f"groups must be at least 1, got {self.groups}")
        per_group = max(8, round(self.people * self.member_share / self.groups))
        if self.groups * (1.5 * per_group + 3) > 0.5 * self.people:
            raise InputError(
                f"{self.groups} groups do not fit in {self.people} people; "
                "use fewer groups or more people"
            )
        if not 0.0 < self.scale <= 1000.0:
            raise InputError(f"scale must be in (0, 1000], got {self.scale}")
        if self.seed < 0:
            raise InputError(f"seed must be non-negative, got {self.seed}")
        if not 0.1 <= self.upward_call_share <= 0.9:
            raise InputError(
                f"upward_call_share must be in [0.1, 0.9], got {self.upward_call_share}"
            )
        if self.relay_delay_median_s <= 0 or self.relay_delay_sigma < 0:
            raise InputError("relay_delay_median_s must be positive and relay_delay_sigma >= 0")
        for name in (
            "relay_share",
            "relay_reach",
            "member_share",
            "member_background_factor",
            "handoff_contact_drift",
            "landline_share",
            "hidden_tie_share",
            "handoff_share",
            "blackout_group_share",
            "police_background_share",
        ):
            _check_rate(name, float(getattr(self, name)))

    @property
    def total_seconds(self) -> int:
        return self.days * 86_400

    @property
    def start_epoch_s(self) -> int:
        """Start of the simulated period, seconds since 1970 (midnight UTC)."""
        start = dt.datetime.combine(self.start_date, dt.time(), tzinfo=dt.UTC)
        return int(start.timestamp())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (what ``truth/parameters.json`` holds)."""
        out = asdict(self)
        for name in OPT_IN_PLANTS:  # left out while off: cases without them keep their bytes
            if not out[name]:
                del out[name]
        out["start_date"] = self.start_date.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationSpec:
        """Inverse of :meth:`to_dict`; unknown keys are an :class:`InputError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown simulation parameters: {', '.join(unknown)}")
        values = dict(data)
        if "start_date" in values:
            values["start_date"] = dt.date.fromisoformat(str(values["start_date"]))
        if "noise" in values:
            noise = dict(values["noise"])
            bad = sorted(set(noise) - {f.name for f in fields(NoiseSpec)})
            if bad:
                raise InputError(f"unknown noise parameters: {', '.join(bad)}")
            values["noise"] = NoiseSpec(**noise)
        return cls(**values)
