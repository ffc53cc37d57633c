"""The background population: people, households, workplaces, friendship communities, places.

Everything here is vectorised over people with numpy; the only Python loops run over small
vocabularies. Ties are person pairs ``(a, b)`` with a daily event rate; organised groups add
their own ties in :mod:`graphkit.simulate.groups`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.simulate import names as vocab
from graphkit.simulate.spec import SimulationSpec

__all__ = [
    "KIND_NAMES",
    "Population",
    "Ties",
    "Towers",
    "background_ties",
    "make_population",
    "make_towers",
]

CITY_LAT, CITY_LON = 53.48, -2.24
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LON = 111.2 * float(np.cos(np.radians(CITY_LAT)))
HALF_WIDTH_KM = 15.0

# Tie kinds; the order is the priority when a pair has several kinds.
KIND_NAMES = ("group", "household", "work", "friend", "weak", "landline", "new")
GROUP, HOUSEHOLD, WORK, FRIEND, WEAK, LANDLINE, NEW = range(7)


@dataclass(frozen=True)
class Population:
    """People (index = person number) and their households, workplaces and places."""

    sex: np.ndarray  # 0 female, 1 male
    first_name: np.ndarray  # object array of str
    last_name: np.ndarray
    dob: np.ndarray  # datetime64[D]
    household: np.ndarray
    workplace: np.ndarray  # -1 = not employed
    community: np.ndarray
    activity: np.ndarray  # heavy-tailed, mean 1
    home_km: np.ndarray  # (n, 2) x/y km from the city centre
    work_km: np.ndarray  # (n, 2); home for the not employed
    id_number: np.ndarray  # object array of str (passport-like numbers)
    house_address: np.ndarray  # per household: "12 Acacia Road"
    house_postcode: np.ndarray  # per household
    workplace_name: np.ndarray  # per workplace

    @property
    def size(self) -> int:
        return int(self.sex.shape[0])

    @property
    def households(self) -> int:
        return int(self.house_address.shape[0])


@dataclass(frozen=True)
class Ties:
    """Communication ties: ``a`` calls ``b`` with probability ``p_a_calls``; ``rate_per_day``
    events a day; valid in ``[from_s, to_s)`` seconds since the start."""

    a: np.ndarray
    b: np.ndarray
    kind: np.ndarray
    rate_per_day: np.ndarray
    p_a_calls: np.ndarray
    p_sms: np.ndarray
    from_s: np.ndarray
    to_s: np.ndarray

    @property
    def size(self) -> int:
        return int(self.a.shape[0])

    def take(self, idx: np.ndarray) -> Ties:
        return Ties(*(getattr(self, f)[idx] for f in _TIE_FIELDS))

    @staticmethod
    def concat(parts: list[Ties]) -> Ties:
        return Ties(*(np.concatenate([getattr(p, f) for p in parts]) for f in _TIE_FIELDS))


_TIE_FIELDS = ("a", "b", "kind", "rate_per_day", "p_a_calls", "p_sms", "from_s", "to_s")


@dataclass(frozen=True)
class Towers:
    """Cell sites with three sectors each; cell ``i`` is site ``i // 3``, sector ``i % 3``."""

    site_km: np.ndarray  # (sites, 2)
    cell_id: np.ndarray  # object array of str, one per cell
    lat: np.ndarray  # per cell
    lon: np.ndarray
    azimuth: np.ndarray

    def cell_of(self, xy_km: np.ndarray) -> np.ndarray:
        """Serving cell of each location: nearest site, sector by bearing."""
        from scipy.spatial import cKDTree

        _, site = cKDTree(self.site_km).query(xy_km)
        d = xy_km - self.site_km[site]
        bearing = (np.degrees(np.arctan2(d[:, 0], d[:, 1])) + 360.0) % 360.0
        return np.asarray(site * 3 + (bearing // 120).astype(np.int64), dtype=np.int64)


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def make_population(spec: SimulationSpec, rng: np.random.Generator) -> Population:
    """People in households (UK-like size mix), workplaces and friendship communities."""
    n = spec.people
    sizes = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.28, 0.34, 0.16, 0.15, 0.07])
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    household = np.repeat(np.arange(sizes.size), sizes)[:n]
    n_house = int(household[-1]) + 1
    first_of_house = np.r_[True, household[1:] != household[:-1]]

    # neighbourhoods: Gaussian blobs inside the city box
    n_hood = max(4, n // 300)
    hood_centre = rng.uniform(-0.8 * HALF_WIDTH_KM, 0.8 * HALF_WIDTH_KM, (n_hood, 2))
    house_hood = rng.integers(0, n_hood, n_house)
    house_km = hood_centre[house_hood] + rng.normal(0.0, 1.2, (n_house, 2))
    house_km = np.clip(house_km, -HALF_WIDTH_KM, HALF_WIDTH_KM)

    house_last = _pick(rng, vocab.LAST_NAMES, n_house)
    own_last = _pick(rng, vocab.LAST_NAMES, n)
    family = rng.random(n) < 0.8
    last_name = np.where(first_of_house | ~family, own_last, house_last[household])
    last_name[first_of_house] = house_last[household[first_of_house]]
    sex = rng.integers(0, 2, n)
    first_name = np.where(
        sex == 1, _pick(rng, vocab.FIRST_MALE, n), _pick(rng, vocab.FIRST_FEMALE, n)
    )
    birth = np.datetime64(spec.start_date, "D") - rng.integers(6576, 80 * 365, n)  # 18 to 80 years
    dob = birth.astype("datetime64[D]")

    number = rng.integers(1, 180, n_house)
    street = _pick(rng, vocab.STREET_NAMES, n_house) + " " + _pick(rng, vocab.STREET_TYPES, n_house)
    house_address = np.array([f"{k} {s}" for k, s in zip(number, street, strict=True)], object)
    district = (np.hypot(house_km[:, 0], house_km[:, 1]) * 2).astype(int) % 40 + 1
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)
    unit = rng.integers(0, len(letters), (n_house, 2))
    house_postcode = np.array(
        [
            f"M{d} {s}{letters[u[0]]}{letters[u[1]]}"
            for d, s, u in zip(district, rng.integers(1, 10, n_house), unit, strict=True)
        ],
        dtype=object,
    )

    employed = rng.random(n) < 0.7
    n_work = max(2, int(employed.sum()) // 15)
    work_weight = rng.lognormal(0.0, 0.9, n_work)
    workplace = np.where(
        employed, rng.choice(n_work, size=n, p=work_weight / work_weight.sum()), -1
    )
    work_site = np.clip(rng.normal(0.0, 4.0, (n_work, 2)), -HALF_WIDTH_KM, HALF_WIDTH_KM)
    home_km = house_km[household] + rng.normal(0.0, 0.05, (n, 2))
    work_km = np.where(employed[:, None], work_site[np.maximum(workplace, 0)], home_km)
    workplace_name = np.array(
        [
            f"{w} {t}"
            for w, t in zip(
                _pick(rng, vocab.LAST_NAMES, n_work),
                _pick(
                    rng, ("Ltd", "Logistics Ltd", "& Sons", "Motors", "Holdings", "Group"), n_work
                ),
                strict=True,
            )
        ],
        dtype=object,
    )

    # friendship communities: about 30 people, mostly from one neighbourhood
    order = np.lexsort((rng.random(n), house_hood[household]))
    community = np.empty(n, dtype=np.int64)
    community[order] = np.arange(n) // 30
    activity = rng.lognormal(0.0, 0.8, n)
    activity /= activity.mean()
    id_number = np.char.mod("%09d", rng.choice(900_000_000, size=n, replace=False) + 100_000_000)
    return Population(
        sex=sex,
        first_name=first_name,
        last_name=last_name,
        dob=dob,
        household=household,
        workplace=workplace,
        community=community,
        activity=activity,
        home_km=home_km,
        work_km=work_km,
        id_number=id_number.astype(object),
        house_address=house_address,
        house_postcode=house_postcode,
        workplace_name=workplace_name,
    )


def _pick_within(
    rng: np.random.Generator, team: np.ndarray, k: int, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each person with ``mask``, ``k`` random others from the same ``team`` (vectorised)."""
    order = np.argsort(team, kind="stable")
    sorted_team = team[order]
    start = np.searchsorted(sorted_team, team, side="left")
    size = np.searchsorted(sorted_team, team, side="right") - start
    who = np.flatnonzero(mask & (size > 1))
    a = np.repeat(who, k)
    offset = rng.integers(0, (size[a] - 1))
    b = order[start[a] + offset]
    b = np.where(b == a, order[start[a] + size[a] - 1], b)  # skip self: take the last slot
    return a, b


def background_ties(pop: Population, spec: SimulationSpec, rng: np.random.Generator) -> Ties:
    """Household, work, friendship and weak ties with heavy-tailed rates (one tie per pair)."""
    n = pop.size
    idx = np.arange(n)
    parts_a, parts_b, parts_kind, parts_rate = [], [], [], []
    for step in range(1, 5):  # household pairs: members are contiguous
        same = pop.household[step:] == pop.household[:-step]
        parts_a.append(idx[:-step][same])
        parts_b.append(idx[step:][same])
        parts_kind.append(np.full(int(same.sum()), HOUSEHOLD))
        parts_rate.append(np.full(int(same.sum()), 1.2))
    for kind_code, team, k, base_rate, mask in (
        (WORK, pop.workplace, 2, 0.35, pop.workplace >= 0),
        (FRIEND, pop.community, 3, 0.3, np.ones(n, bool)),
    ):
        pick_a, pick_b = _pick_within(rng, team, k, mask)
        parts_a.append(pick_a)
        parts_b.append(pick_b)
        parts_kind.append(np.full(pick_a.size, kind_code))
        parts_rate.append(np.full(pick_a.size, base_rate))
    weak_b = rng.integers(0, n, n)
    parts_a.append(idx)
    parts_b.append(weak_b)
    parts_kind.append(np.full(n, WEAK))
    parts_rate.append(np.full(n, 0.06))
    a, b = np.concatenate(parts_a), np.concatenate(parts_b)
    kind, rate = np.concatenate(parts_kind), np.concatenate(parts_rate)
    keep = a != b
    a, b, kind, rate = a[keep], b[keep], kind[keep], rate[keep]
    a, b = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((kind, b, a))
    a, b, kind, rate = a[order], b[order], kind[order], rate[order]
    unique = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    a, b, kind, rate = a[unique], b[unique], kind[unique], rate[unique]
    rate = rate * rng.gamma(2.0, 0.5, a.size) * np.sqrt(pop.activity[a] * pop.activity[b])
    rate *= spec.people * spec.events_per_person_day * (1 - spec.member_share) / rate.sum()
    m = a.size
    return Ties(
        a=a,
        b=b,
        kind=kind,
        rate_per_day=rate,
        p_a_calls=rng.uniform(0.3, 0.7, m),
        p_sms=np.where(kind == WORK, 0.2, rng.uniform(0.2, 0.6, m)),
        from_s=np.zeros(m, dtype=np.int64),
        to_s=np.full(m, spec.total_seconds, dtype=np.int64),
    )


def make_towers(pop: Population, rng: np.random.Generator) -> Towers:
    """A jittered grid of three-sector sites, denser where people live."""
    n_sites = int(np.clip(pop.size // 25, 40, 4000))
    side = int(np.ceil(np.sqrt(n_sites)))
    grid = np.linspace(-HALF_WIDTH_KM, HALF_WIDTH_KM, side)
    gx, gy = np.meshgrid(grid, grid)
    site_km = np.c_[gx.ravel(), gy.ravel()] * 0.9
    site_km = site_km + rng.normal(0.0, 0.25 * (2 * HALF_WIDTH_KM / side), site_km.shape)
    cells = site_km.shape[0] * 3
    site = np.arange(cells) // 3
    sector = np.arange(cells) % 3
    cell_id = np.array([f"MAN{s:04d}{'ABC'[k]}" for s, k in zip(site, sector, strict=True)], object)
    lat = np.round(CITY_LAT + site_km[site, 1] / KM_PER_DEG_LAT, 6)
    lon = np.round(CITY_LON + site_km[site, 0] / KM_PER_DEG_LON, 6)
    return Towers(site_km, cell_id, lat, lon, (sector * 120 + 60).astype(float))
