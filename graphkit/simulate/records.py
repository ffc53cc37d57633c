"""Person-bearing sources: operator subscriber KYC, police/intelligence records, cell towers.

Each writer returns the rows of ``truth/records.csv`` it produced: (source, record_id,
person_id, identity_id, noise tags).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from graphkit.simulate import names as vocab
from graphkit.simulate.groups import MEMBER, Groups
from graphkit.simulate.io import person_id, write_csv
from graphkit.simulate.noise import Identity, NoiseLedger, apply_noise
from graphkit.simulate.plan import Plan
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import Population, Towers

__all__ = [
    "MAPPINGS",
    "Identities",
    "phone_spans",
    "write_police",
    "write_subscribers",
    "write_towers",
]

TruthRow = tuple[str, str, str, str, str]

MAPPINGS: dict[str, dict[str, Any]] = {
    "opA_subscribers": {
        "kind": "subscribers",
        "source_name": "opA_subscribers",
        "timezone": "Europe/London",
        "read": {"delimiter": ",", "encoding": "utf-8", "header": True},
        "columns": {
            "record_id": "SubscriberRef",
            "msisdn": "MSISDN",
            "first_name": "Forename",
            "last_name": "Surname",
            "dob": "DateOfBirth",
            "address": "AddressLine",
            "postcode": "PostCode",
            "id_number": "IDNumber",
            "imsi": "IMSI",
            "activated": "ActivationDate",
            "deactivated": "DeactivationDate",
        },
        "constants": {"operator": "OpA"},
        "formats": {"dob": "%d/%m/%Y", "activated": "%d/%m/%Y", "deactivated": "%d/%m/%Y"},
    },
    "opB_subscribers": {
        "kind": "subscribers",
        "source_name": "opB_subscribers",
        "timezone": "Europe/London",
        "read": {"delimiter": "|", "encoding": "utf-8", "header": True},
        "columns": {
            "record_id": "subscriber_id",
            "msisdn": "msisdn",
            "full_name": "full_name",
            "dob": "birth_date",
            "address": "address",
            "imsi": "imsi",
            "activated": "activated",
            "deactivated": "deactivated",
        },
        "constants": {"operator": "OpB"},
        "formats": {"dob": "%Y-%m-%d", "activated": "%Y-%m-%d", "deactivated": "%Y-%m-%d"},
    },
    "police_persons": {
        "kind": "persons",
        "source_name": "police_persons",
        "read": {"delimiter": ";", "encoding": "latin-1", "header": True},
        "columns": {
            "record_id": "PNC_ID",
            "last_name": "Surname",
            "first_name": "Forenames",
            "aliases": "Aliases",
            "dob": "DOB",
            "address": "LastKnownAddress",
            "postcode": "Postcode",
            "id_number": "PassportNo",
            "phones": "KnownPhones",
            "emails": "KnownEmails",
            "accounts": "KnownAccounts",
        },
        "formats": {
            "dob": "%d/%m/%Y",
            "aliases": "|",
            "phones": "|",
            "emails": "|",
            "accounts": "|",
        },
    },
    "towers": {
        "kind": "towers",
        "source_name": "towers",
        "read": {"delimiter": ",", "encoding": "utf-8", "header": True},
        "columns": {
            "cell_id": "cell_id",
            "lat": "latitude",
            "lon": "longitude",
            "azimuth": "azimuth",
        },
    },
}


class Identities:
    """Identities records can describe: the real people and invented ones (fakes)."""

    def __init__(self, pop: Population, rng: np.random.Generator) -> None:
        self.pop = pop
        self.rng = rng
        self.fakes: list[Identity] = []

    def real(self, p: int) -> Identity:
        pop, h = self.pop, int(self.pop.household[p])
        return Identity(
            person_id(p),
            str(pop.first_name[p]),
            str(pop.last_name[p]),
            str(pop.dob[p]),
            str(pop.house_address[h]),
            str(pop.house_postcode[h]),
            str(pop.id_number[p]),
        )

    def fake(self) -> Identity:
        rng = self.rng
        first = vocab.FIRST_MALE + vocab.FIRST_FEMALE
        dob = np.datetime64("1960-01-01") + int(rng.integers(0, 40 * 365))
        street = vocab.STREET_NAMES[int(rng.integers(0, len(vocab.STREET_NAMES)))]
        kind = vocab.STREET_TYPES[int(rng.integers(0, len(vocab.STREET_TYPES)))]
        ident = Identity(
            f"F{len(self.fakes) + 1:06d}",
            first[int(rng.integers(0, len(first)))],
            vocab.LAST_NAMES[int(rng.integers(0, len(vocab.LAST_NAMES)))],
            str(dob),
            f"{int(rng.integers(1, 300))} {street} {kind}",
            f"M{int(rng.integers(1, 41))} {int(rng.integers(1, 10))}XX",
            "",
        )
        self.fakes.append(ident)
        return ident


def _dmy(iso: str) -> str:
    """ISO date (maybe partial) as d/m/Y; partial dates stay ISO-partial (YYYY, YYYY-MM)."""
    if len(iso) == 10:
        return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"
    return iso


def phone_spans(plan: Plan, total_s: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last second each phone is in use (landlines: the whole period)."""
    n_phones = len(plan.msisdn)
    nxt = np.r_[plan.seg_start[1:], total_s]
    last_of_person = np.r_[plan.seg_person[1:] != plan.seg_person[:-1], True]
    end = np.where(last_of_person, total_s, nxt)
    used = plan.seg_phone >= 0
    first = np.full(n_phones, total_s, dtype=np.int64)
    last = np.zeros(n_phones, dtype=np.int64)
    np.minimum.at(first, plan.seg_phone[used], plan.seg_start[used])
    np.maximum.at(last, plan.seg_phone[used], end[used])
    for phone, t0, t1 in plan.extra_use:  # used outside its segments (opt-in plants)
        first[phone], last[phone] = min(first[phone], t0), max(last[phone], min(t1, total_s))
    lines = np.array(plan.phones.landline, dtype=bool)
    first[lines], last[lines] = 0, total_s
    return first, last


def write_subscribers(
    out: Path,
    spec: SimulationSpec,
    plan: Plan,
    ids: Identities,
    ledger: NoiseLedger,
    rng: np.random.Generator,
) -> list[TruthRow]:
    """Subscriber KYC of both operators: one row per SIM or landline."""
    start = spec.start_date
    first_s, last_s = phone_spans(plan, spec.total_seconds)
    truth: list[TruthRow] = []
    phones = plan.phones
    per_person_fake: dict[int, Identity] = {}
    _, first_member = np.unique(ids.pop.household, return_index=True)
    for op, source in ((0, "opA_subscribers"), (1, "opB_subscribers")):
        idx = [i for i in range(len(phones.msisdn)) if phones.operator[i] == op]
        owners: list[int] = []
        identities: list[Identity] = []
        for i in idx:
            owner = phones.owner[i]
            if owner < 0:  # landline: registered to the first member of the household
                owner = int(first_member[-1 - owner])
            owners.append(owner)
            kind = phones.identity[i]
            if kind == "real":
                identities.append(ids.real(owner))
            elif kind == "fake":
                if owner not in per_person_fake or rng.random() < 0.5:
                    per_person_fake[owner] = ids.fake()
                identities.append(per_person_fake[owner])
            else:
                identities.append(Identity("", "", "", "", "", "", ""))
        noisy = apply_noise(identities, spec.noise, rng)
        ledger.add(source, identities, noisy)
        rows = []
        for k, (i, ident, rec) in enumerate(zip(idx, identities, noisy, strict=True)):
            rid = f"{'AB'[op]}S{k + 1:07d}"
            days_before = int(rng.integers(30, 2500))
            activated = (
                start - dt.timedelta(days=days_before)
                if first_s[i] == 0
                else start + dt.timedelta(seconds=int(first_s[i]))
            )
            ended = last_s[i] < spec.total_seconds and rng.random() < 0.5
            deactivated = start + dt.timedelta(seconds=int(last_s[i])) if ended else None
            number = str(plan.msisdn[i])[3:]
            imsi = str(plan.imsi[i])
            if op == 0:
                rows.append(
                    [
                        rid,
                        f"0{number[:4]} {number[4:]}",
                        rec.first_name,
                        rec.last_name,
                        _dmy(rec.dob),
                        rec.address,
                        rec.postcode,
                        ident.id_number,
                        imsi,
                        activated.strftime("%d/%m/%Y"),
                        deactivated.strftime("%d/%m/%Y") if deactivated else "",
                    ]
                )
            else:
                full = f"{rec.first_name} {rec.last_name}".strip()
                address = f"{rec.address}, {rec.postcode}" if rec.postcode else rec.address
                rows.append(
                    [
                        rid,
                        f"44{number}",
                        full,
                        rec.dob,
                        address,
                        imsi,
                        activated.isoformat(),
                        deactivated.isoformat() if deactivated else "",
                    ]
                )
            truth.append(
                (source, rid, person_id(owners[k]), ident.identity_id, ";".join(rec.noise))
            )
        header = [MAPPINGS[source]["columns"][c] for c in MAPPINGS[source]["columns"]]
        write_csv(
            out / "sources" / f"{source}.csv",
            header,
            rows,
            delimiter=MAPPINGS[source]["read"]["delimiter"],
        )
    return truth


def write_police(
    out: Path,
    spec: SimulationSpec,
    pop: Population,
    groups: Groups,
    plan: Plan,
    accounts_of: dict[int, list[str]],
    ids: Identities,
    ledger: NoiseLedger,
    rng: np.random.Generator,
) -> list[TruthRow]:
    """Police/intelligence person records: every group member, broker and mule, a share of the
    background; a quarter of the criminals have a second record from another system."""
    criminals = np.flatnonzero(groups.role > 0)
    background = np.flatnonzero(groups.role == 0)
    k = round(spec.police_background_share * background.size)
    others = np.sort(rng.choice(background, size=k, replace=False))
    twice = criminals[rng.random(criminals.size) < 0.25]
    people = np.sort(np.concatenate([criminals, others, twice]), kind="stable")
    order = rng.permutation(people.size)
    people = people[order]
    identities = [ids.real(int(p)) for p in people]
    noisy = apply_noise(identities, spec.noise, rng)
    ledger.add("police_persons", identities, noisy)
    later: dict[int, list[int]] = {}
    for h in plan.handoffs:
        later.setdefault(h.person, []).append(h.new)
    rows, truth = [], []
    for k, (p, rec) in enumerate(zip(people, noisy, strict=True)):
        p = int(p)
        rid = f"PNC{k + 1:06d}"
        aliases = []
        if groups.role[p] == MEMBER or rng.random() < 0.3:
            aliases.append(
                vocab.STREET_ALIAS_WORDS[int(rng.integers(0, len(vocab.STREET_ALIAS_WORDS)))]
            )
        nick = vocab.NICKNAMES.get(str(pop.first_name[p]))
        if nick and rng.random() < 0.5:
            aliases.append(f"{nick[0]} {pop.last_name[p]}")
        known = [plan.msisdn[p]] if rng.random() < 0.8 else []  # phone p: p's first SIM
        if p in later and rng.random() < 0.4:
            known.append(plan.msisdn[later[p][0]])
        phones = [f"0{str(x)[3:6]} {str(x)[6:]}" if rng.random() < 0.5 else str(x) for x in known]
        email = (
            f"{str(pop.first_name[p]).lower()}.{str(pop.last_name[p]).lower()}"
            f"{int(rng.integers(1, 99))}@{vocab.EMAIL_DOMAINS[p % len(vocab.EMAIL_DOMAINS)]}"
        )
        accounts = accounts_of.get(p, [])[:1] if rng.random() < 0.5 else []
        rows.append(
            [
                rid,
                rec.last_name,
                rec.first_name,
                "|".join(aliases),
                _dmy(rec.dob),
                rec.address,
                rec.postcode,
                str(pop.id_number[p]) if rng.random() < 0.6 else "",
                "|".join(phones),
                email.replace("'", "") if rng.random() < 0.4 else "",
                "|".join(accounts),
            ]
        )
        truth.append(("police_persons", rid, person_id(p), person_id(p), ";".join(rec.noise)))
    m = MAPPINGS["police_persons"]
    write_csv(
        out / "sources" / "police_persons.csv",
        list(m["columns"].values()),
        rows,
        delimiter=";",
        encoding="latin-1",
    )
    return truth


def write_towers(out: Path, towers: Towers) -> int:
    rows = (
        [c, f"{la:.6f}", f"{lo:.6f}", f"{az:.0f}"]
        for c, la, lo, az in zip(
            towers.cell_id, towers.lat, towers.lon, towers.azimuth, strict=True
        )
    )
    return write_csv(
        out / "sources" / "towers.csv", ["cell_id", "latitude", "longitude", "azimuth"], rows
    )
