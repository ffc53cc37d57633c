"""Bank accounts (KYC) and transactions: salaries, transfers between relatives and friends,
and each group's laundering chain (soldiers pay proceeds to mules in amounts kept under
1,000; mules relay them within hours, minus a cut, to a lieutenant or the boss, sometimes
through a second mule)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from graphkit.simulate import names as vocab
from graphkit.simulate.groups import BOSS, LIEUTENANT, MULE, SOLDIER, Groups
from graphkit.simulate.io import person_id, write_csv
from graphkit.simulate.noise import NoiseLedger, apply_noise
from graphkit.simulate.phones import gb_ibans
from graphkit.simulate.records import Identities
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import FRIEND, HOUSEHOLD, Population, Ties

__all__ = ["MONEY_MAPPINGS", "write_money"]

HOUR_S = 3_600
DAY_S = 86_400

MONEY_MAPPINGS: dict[str, dict[str, Any]] = {
    "bank_accounts": {
        "kind": "accounts",
        "source_name": "bank_accounts",
        "read": {"delimiter": ",", "encoding": "utf-8", "header": True},
        "columns": {
            "record_id": "AccountRef",
            "account_id": "IBAN",
            "holder_name": "HolderName",
            "dob": "DateOfBirth",
            "address": "Address",
            "bank": "Bank",
            "opened": "Opened",
        },
        "formats": {"dob": "%Y-%m-%d", "opened": "%Y-%m-%d"},
    },
    "transactions": {
        "kind": "transactions",
        "source_name": "transactions",
        "timezone": "Europe/London",
        "read": {"delimiter": ",", "encoding": "utf-8", "header": True},
        "columns": {
            "record_id": "TxnID",
            "timestamp": "ValueDate",
            "from_account": "FromIBAN",
            "to_account": "ToIBAN",
            "amount": "Amount",
            "currency": "Currency",
            "reference": "Narrative",
        },
        "formats": {"timestamp": "%d/%m/%Y %H:%M:%S"},
    },
}


def _ibans(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """IBANs and the name of each one's bank."""
    names = dict(vocab.BANKS)
    ibans = gb_ibans(rng, list(names), n)
    return ibans, [names[iban[4:8]] for iban in ibans]


def write_money(
    out: Path,
    spec: SimulationSpec,
    pop: Population,
    groups: Groups,
    ties: Ties,
    ids: Identities,
    ledger: NoiseLedger,
    rng: np.random.Generator,
) -> tuple[
    list[tuple[str, str, str, str, str]], list[list[str]], list[list[str]], dict[int, list[str]]
]:
    """Write bank_accounts.csv and transactions.csv.

    Returns (records truth rows, accounts truth rows, transactions truth rows, person ->
    account ids)."""
    n = pop.size
    n_accounts = np.where(rng.random(n) < 0.85, 1, 0) + (rng.random(n) < 0.1)
    n_accounts[groups.role > 0] = np.maximum(n_accounts[groups.role > 0], 1)
    n_accounts[groups.role == MULE] = 3
    holder = np.repeat(np.arange(n), n_accounts)
    n_company = int(pop.workplace.max()) + 1
    ibans, banks = _ibans(rng, holder.size + n_company)
    accounts_of: dict[int, list[str]] = {}
    for p, iban in zip(holder, ibans, strict=False):
        accounts_of.setdefault(int(p), []).append(iban)
    company_iban = ibans[holder.size :]

    identities = [ids.real(int(p)) for p in holder]
    noisy = apply_noise(identities, spec.noise, rng)
    ledger.add("bank_accounts", identities, noisy)
    rows, rec_truth, acc_truth = [], [], []
    for k, (p, rec) in enumerate(zip(holder, noisy, strict=True)):
        rid = f"ACC{k + 1:07d}"
        iban = ibans[k]
        shown = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if k % 2 else iban
        opened = spec.start_date - dt.timedelta(days=int(rng.integers(30, 5000)))
        rows.append(
            [
                rid,
                shown,
                f"{rec.first_name} {rec.last_name}".strip(),
                rec.dob,
                f"{rec.address}, {rec.postcode}".strip(", "),
                banks[k],
                opened.isoformat(),
            ]
        )
        rec_truth.append(
            ("bank_accounts", rid, person_id(int(p)), person_id(int(p)), ";".join(rec.noise))
        )
        role = "mule" if groups.role[p] == MULE else "personal"
        acc_truth.append([iban, person_id(int(p)), role, rid])
    for w, iban in enumerate(company_iban):
        rid = f"ACC{holder.size + w + 1:07d}"
        rows.append(
            [
                rid,
                iban,
                str(pop.workplace_name[w]),
                "",
                "",
                banks[holder.size + w],
                (spec.start_date - dt.timedelta(days=3000)).isoformat(),
            ]
        )
        rec_truth.append(("bank_accounts", rid, "", f"W{w + 1:05d}", ""))
        acc_truth.append([iban, "", "company", rid])
    m = MONEY_MAPPINGS["bank_accounts"]
    write_csv(out / "sources" / "bank_accounts.csv", list(m["columns"].values()), rows)

    tx: list[tuple[int, str, str, float, str, str, int]] = []  # t, from, to, amount, ref, why, g
    total = spec.total_seconds
    start = spec.start_date
    for day in range(spec.days):  # salaries on the 25th
        if (start + dt.timedelta(days=day)).day == 25:
            for p in np.flatnonzero((pop.workplace >= 0) & (n_accounts > 0)):
                amount = round(float(rng.normal(2200, 600)), 2)
                tx.append(
                    (
                        day * DAY_S + 9 * HOUR_S + int(rng.integers(0, HOUR_S)),
                        company_iban[pop.workplace[p]],
                        accounts_of[int(p)][0],
                        max(amount, 400.0),
                        "SALARY",
                        "salary",
                        -1,
                    )
                )
    close = np.flatnonzero(np.isin(ties.kind, (HOUSEHOLD, FRIEND)) & (ties.a < n) & (ties.b < n))
    close = close[(n_accounts[ties.a[close]] > 0) & (n_accounts[ties.b[close]] > 0)]
    count = rng.poisson(0.4 * spec.days / 30, close.size)
    for i in np.repeat(close, count):
        a, b = int(ties.a[i]), int(ties.b[i])
        if rng.random() < 0.5:
            a, b = b, a
        tx.append(
            (
                int(rng.integers(0, total)),
                accounts_of[a][0],
                accounts_of[b][0],
                round(float(rng.lognormal(3.5, 1.0)), 2),
                "TRANSFER",
                "peer",
                -1,
            )
        )
    for g in range(groups.count):
        members = groups.members(g)
        soldiers = members[groups.rank[members] == SOLDIER]
        top = members[np.isin(groups.rank[members], (BOSS, LIEUTENANT))]
        mules = groups.mules(g)
        for s in soldiers:
            t = int(rng.integers(0, 3 * DAY_S))
            while t < total - 2 * DAY_S:
                mule = int(rng.choice(mules))
                amount = round(float(rng.uniform(400, 990)), 2)
                tx.append(
                    (
                        t,
                        accounts_of[int(s)][0],
                        accounts_of[mule][0],
                        amount,
                        "CASH DEP",
                        "proceeds",
                        g,
                    )
                )
                t_relay = t + int(rng.integers(2 * HOUR_S, 30 * HOUR_S))
                src = mule
                if rng.random() < 0.4 and mules.size > 1:
                    other = int(mules[mules != mule][0])
                    amount = round(amount * 0.95, 2)
                    tx.append(
                        (
                            t_relay,
                            accounts_of[mule][1],
                            accounts_of[other][0],
                            amount,
                            "INV 2231",
                            "relay",
                            g,
                        )
                    )
                    t_relay += int(rng.integers(2 * HOUR_S, 30 * HOUR_S))
                    src = other
                boss = int(rng.choice(top))
                tx.append(
                    (
                        min(t_relay, total - 1),
                        accounts_of[src][2],
                        accounts_of[boss][0],
                        round(amount * 0.92, 2),
                        "CONSULTANCY",
                        "payout",
                        g,
                    )
                )
                t += int(rng.integers(3 * DAY_S, 8 * DAY_S))
    tx.sort(key=lambda r: (r[0], r[1], r[2]))
    base = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    tx_rows, tx_truth = [], []
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    for k, (t, debit, credit, amount, ref, why, g) in enumerate(tx):
        rid = f"TX{k + 1:08d}"
        when = (base + dt.timedelta(seconds=t)).astimezone(london)
        tx_rows.append(
            [rid, when.strftime("%d/%m/%Y %H:%M:%S"), debit, credit, f"{amount:.2f}", "GBP", ref]
        )
        tx_truth.append([rid, why, f"G{g + 1}" if g >= 0 else ""])
    m = MONEY_MAPPINGS["transactions"]
    write_csv(out / "sources" / "transactions.csv", list(m["columns"].values()), tx_rows)
    return rec_truth, acc_truth, tx_truth, accounts_of
