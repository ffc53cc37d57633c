"""Bank accounts (KYC) and transactions: salaries, transfers between relatives and friends,
and each group's laundering chain (soldiers pay proceeds to mules in amounts kept under
1,000; mules relay them within hours, minus a cut, to a lieutenant or the boss, sometimes
through a second mule), and the hidden ties that move money: one pays a go-between (a random
account holder), who passes it on to the other within hours, 2 or 3 times (purpose
``go_between`` in ``truth/transactions.csv``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

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
    *,
    go_between: np.ndarray | None = None,
) -> tuple[
    list[tuple[str, str, str, str, str]],
    list[list[str]],
    list[list[str]],
    dict[int, list[str]],
    np.ndarray,
]:
    """Write bank_accounts.csv and transactions.csv.

    ``go_between``: (k, 2) persons, hidden ties that move money through a third account.
    Returns (records truth rows, accounts truth rows, transactions truth rows, person ->
    account ids, go-between transfers planted per row of ``go_between``)."""
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

    first_account = np.r_[0, np.cumsum(n_accounts)[:-1]]
    tx = _transactions(spec, pop, groups, ties, first_account, n_accounts, holder.size, rng)
    pairs = np.zeros((0, 2), np.int64) if go_between is None else go_between
    relayed, planted = _go_between(spec, pairs, first_account, n_accounts, rng)
    tx = {k: np.concatenate([tx[k], relayed[k]]) for k in tx}
    order = np.lexsort((tx["dst"], tx["src"], tx["t"]))
    tx = {k: v[order] for k, v in tx.items()}
    tx_truth = _write_transactions(out / "sources" / "transactions.csv", spec, ibans, tx)
    return rec_truth, acc_truth, tx_truth, accounts_of, planted


_REFS = ("SALARY", "TRANSFER", "CASH DEP", "INV 2231", "CONSULTANCY", "TRANSFER")
_PURPOSES = ("salary", "peer", "proceeds", "relay", "payout", "go_between")
SALARY, PEER, PROCEEDS, RELAY, PAYOUT, GO_BETWEEN = range(6)


def _go_between(
    spec: SimulationSpec,
    pairs: np.ndarray,
    first_account: np.ndarray,
    n_accounts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Transfers of the hidden ties that move money: per pair one go-between (a random
    account holder), 2 or 3 payments one way, each passed on within 2-30 hours less 5%.
    Returns the transactions (as :func:`_transactions`) and the count per pair."""
    a, b = pairs[:, 0], pairs[:, 1]
    holders = np.flatnonzero(n_accounts > 0)
    mid = holders[rng.integers(0, holders.size, a.size)]
    ok = (n_accounts[a] > 0) & (n_accounts[b] > 0) & (mid != a) & (mid != b)
    times = rng.integers(2, 4, a.size) * ok
    row = np.repeat(np.arange(a.size), times)
    flip = rng.random(a.size) < 0.5
    payer, payee = np.where(flip, b, a)[row], np.where(flip, a, b)[row]
    t0 = rng.integers(0, spec.total_seconds - 2 * DAY_S, row.size)
    t1 = t0 + rng.integers(2 * HOUR_S, 30 * HOUR_S, row.size)
    amount = np.round(rng.lognormal(5.0, 0.8, row.size), 2)
    via = first_account[mid[row]]
    tx = {
        "t": np.concatenate([t0, t1]).astype(np.int64),
        "src": np.concatenate([first_account[payer], via]).astype(np.int64),
        "dst": np.concatenate([via, first_account[payee]]).astype(np.int64),
        "amount": np.round(np.concatenate([amount, amount * 0.95]), 2),
        "kind": np.full(2 * row.size, GO_BETWEEN),
        "g": np.full(2 * row.size, -1, np.int64),
    }
    return tx, 2 * np.bincount(row, minlength=a.size)


def _transactions(
    spec: SimulationSpec,
    pop: Population,
    groups: Groups,
    ties: Ties,
    first_account: np.ndarray,
    n_accounts: np.ndarray,
    n_personal: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Transactions as arrays (time, debit and credit account index, amount, kind, group)."""
    n, total = pop.size, spec.total_seconds
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("t", "src", "dst", "amount", "kind", "g")}

    def add(
        t: ArrayLike,
        src: ArrayLike,
        dst: ArrayLike,
        amount: ArrayLike,
        kind: int,
        g: np.ndarray | int = -1,
    ) -> None:
        times = np.asarray(t, np.int64)
        cols["t"].append(times)
        cols["src"].append(np.asarray(src, np.int64))
        cols["dst"].append(np.asarray(dst, np.int64))
        cols["amount"].append(np.round(np.asarray(amount, float), 2))
        cols["kind"].append(np.full(times.size, kind))
        cols["g"].append(np.broadcast_to(np.asarray(g, np.int64), (times.size,)))

    paid = np.flatnonzero((pop.workplace >= 0) & (n_accounts > 0))
    for day in range(spec.days):  # salaries on the 25th
        if (spec.start_date + dt.timedelta(days=day)).day == 25:
            t = day * DAY_S + 9 * HOUR_S + rng.integers(0, HOUR_S, paid.size)
            amount = np.maximum(rng.normal(2200, 600, paid.size), 400.0)
            add(t, n_personal + pop.workplace[paid], first_account[paid], amount, SALARY)
    close = np.flatnonzero(np.isin(ties.kind, (HOUSEHOLD, FRIEND)) & (ties.a < n) & (ties.b < n))
    close = close[(n_accounts[ties.a[close]] > 0) & (n_accounts[ties.b[close]] > 0)]
    e = np.repeat(close, rng.poisson(0.4 * spec.days / 30, close.size))
    flip = rng.random(e.size) < 0.5
    src, dst = np.where(flip, ties.b[e], ties.a[e]), np.where(flip, ties.a[e], ties.b[e])
    add(
        rng.integers(0, total, e.size),
        first_account[src],
        first_account[dst],
        rng.lognormal(3.5, 1.0, e.size),
        PEER,
    )
    for g in range(groups.count):  # laundering: soldier -> mule (-> mule) -> boss/lieutenant
        members = groups.members(g)
        soldiers = members[groups.rank[members] == SOLDIER]
        top = members[np.isin(groups.rank[members], (BOSS, LIEUTENANT))]
        mules = groups.mules(g)
        for s in soldiers.tolist():
            when = int(rng.integers(0, 3 * DAY_S))
            while when < total - 2 * DAY_S:
                mule = int(rng.choice(mules))
                cash = float(rng.uniform(400, 990))
                add([when], [first_account[s]], [first_account[mule]], [cash], PROCEEDS, g)
                t_relay = when + int(rng.integers(2 * HOUR_S, 30 * HOUR_S))
                src_acc = first_account[mule] + 2
                if rng.random() < 0.4 and mules.size > 1:
                    other = int(mules[mules != mule][0])
                    cash = round(cash, 2) * 0.95
                    add(
                        [t_relay],
                        [first_account[mule] + 1],
                        [first_account[other]],
                        [cash],
                        RELAY,
                        g,
                    )
                    t_relay += int(rng.integers(2 * HOUR_S, 30 * HOUR_S))
                    src_acc = first_account[other] + 2
                boss = int(rng.choice(top))
                add(
                    [int(min(t_relay, total - 1))],
                    [src_acc],
                    [first_account[boss]],
                    [round(cash, 2) * 0.92],
                    PAYOUT,
                    g,
                )
                when += int(rng.integers(3 * DAY_S, 8 * DAY_S))
    tx = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.lexsort((tx["dst"], tx["src"], tx["t"]))
    return {k: v[order] for k, v in tx.items()}


def _write_transactions(
    path: Path, spec: SimulationSpec, ibans: list[str], tx: dict[str, np.ndarray]
) -> list[list[str]]:
    """Write the bank export (pyarrow, no per-row formatting); returns truth rows."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    m = tx["t"].size
    rid = np.char.mod("TX%08d", np.arange(1, m + 1)).astype(object)
    stamps = pa.array(spec.start_epoch_s + tx["t"], pa.timestamp("s", tz="Europe/London"))
    accounts = pa.array(ibans, pa.string())
    table = pa.table(
        {
            "TxnID": pa.array(rid, pa.string()),
            "ValueDate": pc.strftime(stamps, format="%d/%m/%Y %H:%M:%S"),
            "FromIBAN": accounts.take(pa.array(tx["src"])),
            "ToIBAN": accounts.take(pa.array(tx["dst"])),
            "Amount": pa.array(np.char.mod("%.2f", tx["amount"]).astype(object), pa.string()),
            "Currency": pa.array(np.full(m, "GBP", dtype=object), pa.string()),
            "Narrative": pa.array(_REFS, pa.string()).take(pa.array(tx["kind"])),
        }
    )
    header = list(MONEY_MAPPINGS["transactions"]["columns"].values())
    assert header == table.column_names
    with path.open("wb") as handle:
        handle.write((",".join(header) + "\n").encode())
        pcsv.write_csv(table, handle, pcsv.WriteOptions(include_header=False, quoting_style="none"))
    purposes = np.asarray(_PURPOSES, dtype=object)[tx["kind"]]
    groups = np.where(tx["g"] >= 0, np.char.mod("G%d", tx["g"] + 1).astype(object), "")
    return [list(r) for r in zip(rid.tolist(), purposes.tolist(), groups.tolist(), strict=True)]
