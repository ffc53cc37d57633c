"""People by name: each actor's display name and phones, and finding actors by what a user types.

An actor (table ``actor``) is a resolved person (``node_person``) or a phone attributed to no
person. Its display name is the person's best resolved name (``full_name``, else another name
seen), else its phone; a person known only from a phone's subscriber registration whose
number another person's record lists is shown as ``Other Name, registered as Subscriber
Name``. :func:`directory` reads them once per call; views name the actors in
their rows with :meth:`Directory.name_rows` (``graphkit.views`` does it for every view), and
:func:`find_actors` / :func:`find_actor` turn a name, a phone in any format or an id (or its
first characters) into actors, case- and accent-insensitively, with near-miss suggestions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["Actor", "Directory", "directory", "find_actor", "find_actors", "short_id"]

Row = dict[str, Any]

_PHONE_CHARS = re.compile(r"^[+\d(][\d\s().\-/]*$")
_MIN_PREFIX = 3  # characters of an id before it is read as an id prefix
_MIN_DIGITS = 6  # digits of a phone before its ending is matched
_LISTED = 8  # candidates named in an "ambiguous" message
_SUGGESTED = 3
# a token of free text that may be an id or a phone: "+447700900123", "P93c67e49820c002a"
_TOKEN = re.compile(r"(?<![\w+])(\+?\w(?:[\w.:\-]*\w)?)( \()?")


@dataclass(frozen=True)
class Actor:
    """One actor: ``kind`` is ``person`` or ``phone``; ``names``: every name seen for it."""

    actor_id: str
    kind: str
    name: str
    phones: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    in_graph: bool = True  # False: a resolved person the actor graph does not hold

    @property
    def named(self) -> bool:
        """Whether the display name says more than the id (a person's name, not a phone)."""
        return self.name != self.actor_id

    def label(self) -> str:
        """``Name (id)``, or the id alone when it is the name (a phone)."""
        return f"{self.name} ({self.actor_id})" if self.named else self.actor_id

    def to_dict(self) -> Row:
        return {
            "actor_id": self.actor_id,
            "name": self.name,
            "kind": self.kind,
            "phones": list(self.phones),
            "names": list(self.names),
        }


def short_id(value: str, *, keep: int = 8) -> str:
    """A long minted id cut to its first ``keep`` characters and ``…`` (phones stay whole)."""
    if len(value) <= keep + 2 or value.startswith("+") or value.isdigit():
        return value
    return value[:keep] + "…"


def _fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, single spaces: how names are compared."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _eligible(token: str) -> bool:
    """Whether a token of free text may stand for an actor (not a count or a year)."""
    return token.startswith("+") or any(c.isalpha() for c in token) or len(token) >= 7


@dataclass
class Directory:
    """The case's actors by id and by phone; ``regions``: the phone regions ingest used."""

    actors: Sequence[Actor]
    regions: tuple[str, ...] = ("GB",)
    by_id: dict[str, Actor] = field(init=False)
    by_phone: dict[str, Actor] = field(init=False)
    _folded: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {a.actor_id: a for a in self.actors}
        self._folded = {
            a.actor_id: tuple(dict.fromkeys(_fold(n) for n in (a.name, *a.names)))
            for a in self.actors
        }
        self.by_phone = {}
        for a in self.actors:
            for p in a.phones:
                # a phone attributed in the actor graph wins over a person's other numbers
                if a.in_graph or p not in self.by_phone:
                    self.by_phone[p] = a

    def get(self, value: Any) -> Actor | None:
        """The actor with this id, else the one holding this phone; None for anything else."""
        if not isinstance(value, str):
            return None
        return self.by_id.get(value) or self.by_phone.get(value)

    # ---- naming rows -----------------------------------------------------------------

    def _fields(self, column: str, value: Any) -> Row:
        if isinstance(value, list | tuple):
            found = [self.get(v) for v in value]
            return {
                f"{column}_names": [a.name if a else None for a in found],
                f"{column}_phones": [list(a.phones) if a else [] for a in found],
            }
        actor = self.get(value)
        if column == "actor_id":
            return {
                "name": actor.name if actor else None,
                "phones": list(actor.phones) if actor else [],
            }
        out: Row = {
            f"{column}_name": actor.name if actor else None,
            f"{column}_phones": list(actor.phones) if actor else [],
        }
        if actor is not None and actor.actor_id != value:  # a phone: say whose it is
            out[f"{column}_actor"] = actor.actor_id
        return out

    def name_rows(self, rows: Iterable[Row], columns: Sequence[str]) -> list[Row]:
        """Rows with each actor named beside its id: after column ``c``, ``c_name`` and
        ``c_phones`` (``c_actor`` when ``c`` holds a phone of another actor; ``c_names`` and
        ``c_phones`` for a list of actors; ``name`` and ``phones`` after ``actor_id``). Ids in an
        ``explanation`` are named in the text; ``evidence_names`` maps the ids and phones in
        ``evidence`` to names. Fields a row already has are kept."""
        out = []
        for row in rows:
            named: Row = {}
            for key, value in row.items():
                named[key] = value
                if key in columns:
                    for k, v in self._fields(key, value).items():
                        if k not in row:
                            named[k] = v
                elif key == "explanation" and isinstance(value, str):
                    named[key] = self.name_text(value)
                elif key == "evidence" and "evidence_names" not in row:
                    names = self.names_in(value)
                    if names:
                        named["evidence_names"] = names
            out.append(named)
        return out

    def name_text(self, text: str) -> str:
        """Free text with actors named: the first mention of an id becomes ``Name (id;
        phones)`` (two, then how many more), later ones ``Name``; the first mention of each
        phone becomes ``phone (Name)`` (two numbers of one person both say whose they are).

        A mention the text already labels is left as it is: an id in ``Label (id`` (the label,
        whatever name of the actor it is, is then the name its later mentions get, so that a
        list of persons and the sentence after it agree) and a phone in ``phone (Name``. A
        phone is also left where the text names its actor elsewhere."""
        labels: dict[str, str] = {}  # actor id -> the name the text gives it beside its id
        for m in _TOKEN.finditer(text):
            actor = self._labelled(text, m)
            if actor is not None and m.group(1) == actor.actor_id:
                before = text[: m.start()].removesuffix(" (")
                label = next((n for n in self._names_of(actor) if before.endswith(n)), actor.name)
                labels.setdefault(actor.actor_id, label)
        seen: set[str] = set()

        def swap(m: re.Match[str]) -> str:
            token, paren = m.group(1), m.group(2) or ""
            actor = self.get(token) if _eligible(token) else None
            if actor is None or not actor.named:
                return m.group(0)
            if self._labelled(text, m) is not None:
                seen.add(actor.actor_id if token == actor.actor_id else token)
                return m.group(0)
            is_id = token == actor.actor_id
            if not is_id and actor.name in text:
                return m.group(0)
            name = labels.get(actor.actor_id, actor.name)
            # an id is named once; each phone once, so that a second number of the same
            # person (a hand-off's new number) says whose it is too
            key = actor.actor_id if is_id else token
            if key in seen:
                return (name if is_id else token) + paren
            seen.add(key)
            head, inner = (name, _id_and_phones(actor)) if is_id else (token, actor.name)
            return f"{head} ({inner}; " if paren else f"{head} ({inner})"

        return _TOKEN.sub(swap, text)

    def _names_of(self, actor: Actor) -> tuple[str, ...]:
        """Every name the text may give ``actor``, longest first: its display name, the
        names its records hold, and the two halves of ``Other, registered as Name``."""
        parts = tuple(actor.name.split(", registered as "))
        found = dict.fromkeys(n for n in (actor.name, *actor.names, *parts) if n.strip())
        return tuple(sorted(found, key=len, reverse=True))

    def _labelled(self, text: str, m: re.Match[str]) -> Actor | None:
        """The actor of token ``m`` when the text already names it there: an id right after
        ``(`` (``Label (id``), a phone followed by `` (`` and one of its actor's names."""
        token = m.group(1)
        actor = self.get(token) if _eligible(token) else None
        if actor is None or not actor.named:
            return None
        if token == actor.actor_id:
            return actor if text[: m.start()].endswith("(") else None
        after = text[m.end() :] if m.group(2) else ""
        return actor if any(after.startswith(n) for n in self._names_of(actor)) else None

    def names_in(self, value: Any) -> dict[str, str]:
        """``{id or phone: name}`` for every named actor found in a nested value."""
        found: dict[str, str] = {}
        for token in _strings(value):
            actor = self.get(token)
            if actor is not None and actor.named:
                found.setdefault(token, actor.name)
        return found

    # ---- finding actors ------------------------------------------------------------------

    def _searchable(self) -> list[Actor]:
        inside = [a for a in self.actors if a.in_graph]
        return inside or list(self.actors)

    def _phone_forms(self, query: str) -> set[str]:
        text = query.strip()
        if not _PHONE_CHARS.match(text):
            return set()
        import phonenumbers  # only when a phone is looked up

        forms = {text}
        candidate = "+" + text[2:] if text.startswith("00") else text
        for region in self.regions:
            try:
                parsed = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            forms.add(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
        return forms

    def find(self, query: str) -> list[Actor]:
        """Actors matching ``query``, from the first of these that matches any: the id; a
        phone (any format: E.164 under the case's regions, digits alone); the name or another
        name seen; the first characters of an id; every word of the query within the name;
        the start of every word of the name; the ending of a phone (6 digits or more).
        Case- and accent-insensitive."""
        pool = self._searchable()
        text = query.strip().removesuffix("…").removesuffix("...").strip()
        if not text:
            return []
        low, folded = text.casefold(), _fold(text)
        digits = _digits(text) if _PHONE_CHARS.match(text) else ""
        words = folded.split()
        forms = self._phone_forms(text)

        def starts_words(name: str) -> bool:  # "kat schm" finds "Kate Schmidt"
            parts = name.split()
            return all(any(p.startswith(w) for p in parts) for w in words)

        tiers = (
            lambda a: a.actor_id.casefold() == low,
            lambda a: (
                bool(forms & set(a.phones))
                or (len(digits) >= _MIN_DIGITS and any(_digits(p) == digits for p in a.phones))
            ),
            lambda a: folded in self._folded[a.actor_id],
            lambda a: len(text) >= _MIN_PREFIX and a.actor_id.casefold().startswith(low),
            lambda a: bool(words) and any(starts_words(n) for n in self._folded[a.actor_id]),
            lambda a: (
                len(digits) >= _MIN_DIGITS and any(_digits(p).endswith(digits) for p in a.phones)
            ),
        )
        for matches in tiers:
            hits = [a for a in pool if matches(a)]
            if hits:
                return sorted(hits, key=lambda a: (a.name.casefold(), a.actor_id))
        return []

    def suggest(self, query: str, *, n: int = _SUGGESTED) -> list[Actor]:
        """Actors whose name, a word of it, or id is close to ``query`` (difflib)."""
        keys: dict[str, list[Actor]] = {}
        for a in self._searchable():
            for k in (*self._folded[a.actor_id], a.actor_id.casefold()):
                keys.setdefault(k, []).append(a)
                for w in k.split():
                    if len(w) >= _MIN_PREFIX:
                        keys.setdefault(w, []).append(a)
        close = difflib.get_close_matches(
            _fold(query) or query.casefold(), keys, n=n * 3, cutoff=0.6
        )
        out: list[Actor] = []
        for k in close:
            for a in keys[k]:
                if a not in out:
                    out.append(a)
        return out[:n]

    def find_one(self, query: str) -> Actor:
        """The one actor ``query`` names; InputError (one line) when none or several match."""
        hits = self.find(query)
        if len(hits) == 1:
            return hits[0]
        if hits:
            listed = "; ".join(_with_phone(a) for a in hits[:_LISTED])
            more = f"; and {len(hits) - _LISTED} more" if len(hits) > _LISTED else ""
            raise InputError(
                f"{query!r} matches {len(hits)} actors: {listed}{more}; "
                "give more of the name, a phone or the id"
            )
        near = self.suggest(query)
        hint = (
            "did you mean " + " or ".join(a.label() for a in near) + "?"
            if near
            else "search by name, phone or id (`graphkit show CASE actors` lists them)"
        )
        raise InputError(f"unknown actor {query!r}: no name, phone or id matches; {hint}")


#: phones written beside an id in free text (the rest counted)
_PHONES_SAID = 2


def _id_and_phones(actor: Actor) -> str:
    """``id; phone, phone and N more``: what follows a person's name at its first mention in
    free text (people are names with their phones beside the id)."""
    phones = [p for p in actor.phones if p != actor.actor_id]
    if not phones:
        return actor.actor_id
    said = ", ".join(phones[:_PHONES_SAID])
    more = len(phones) - _PHONES_SAID
    return f"{actor.actor_id}; {said}" + (f" and {more} more" if more > 0 else "")


def _with_phone(actor: Actor) -> str:
    phone = f", {actor.phones[0]}" if actor.phones and actor.named else ""
    return f"{actor.name} ({actor.actor_id}{phone})" if actor.named else actor.actor_id


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _regions(store: CaseStore) -> tuple[str, ...]:
    """The default phone regions of the case's mappings, most used first (GB if none)."""
    counts = Counter(
        str((s.get("mapping") or {}).get("default_region") or "").upper()
        for s in store.manifest.get("sources", {}).values()
    )
    counts.pop("", None)
    return tuple(r for r, _ in counts.most_common()) or ("GB",)


def directory(store: CaseStore) -> Directory:
    """Every actor of the case with its display name and phones, and the resolved persons
    the actor graph does not hold (``in_graph`` False); persons alone before ``build``."""
    with store.connect(read_only=True) as con:
        has_actor = store.table_exists(con, "actor")
        has_person = store.table_exists(con, "node_person")
        person = (
            "SELECT person_id, full_name, names FROM node_person"
            if has_person
            else "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS full_name, "
            "NULL::VARCHAR[] AS names WHERE false"
        )
        actor = (
            "SELECT actor_id, kind, phones, true AS in_graph FROM actor"
            if has_actor
            else "SELECT NULL::VARCHAR AS actor_id, NULL::VARCHAR AS kind, "
            "NULL::VARCHAR[] AS phones, true AS in_graph WHERE false"
        )
        uses = (
            "(SELECT list(dst ORDER BY dst) FROM rel_uses u WHERE u.src = p.person_id)"
            if store.table_exists(con, "rel_uses")
            else "NULL::VARCHAR[]"
        )
        rows = con.execute(
            f"""
            WITH a AS ({actor}), p AS ({person})
            SELECT a.actor_id, a.kind, a.phones, p.full_name, p.names, true
            FROM a LEFT JOIN p ON p.person_id = a.actor_id
            UNION ALL
            SELECT p.person_id, 'person', {uses}, p.full_name, p.names, false
            FROM p WHERE p.person_id NOT IN (SELECT actor_id FROM a)
            """  # table names above are this module's constants
        ).fetchall()
        claimed = _claimed_by_others(store, con) if has_actor and has_person else {}
    actors = []
    for actor_id, kind, phones, full_name, names, in_graph in rows:
        phones_t = tuple(str(p) for p in phones or ())
        seen = tuple(dict.fromkeys(str(n) for n in names or () if n and str(n).strip()))
        best = (full_name or "").strip() or (seen[0] if seen else "")
        name = best or (phones_t[0] if phones_t and kind == "person" else str(actor_id))
        others = [n for n in claimed.get(str(actor_id), ()) if best and _fold(n) != _fold(best)]
        if others:
            name = f"{' / '.join(others)}, registered as {best}"
        actors.append(
            Actor(str(actor_id), str(kind), name, phones_t, seen, in_graph=bool(in_graph))
        )
    actors.sort(key=lambda a: a.actor_id)
    return Directory(actors, regions=_regions(store))


_REGISTRATION_KINDS = ("subscribers",)


def _claimed_by_others(store: CaseStore, con: Any) -> dict[str, tuple[str, ...]]:
    """Persons known only from subscriber registrations whose phone another person's record
    (police, bank: any other kind) lists: ``{actor_id: (that person's name, ...)}``.

    A subscription's name is what the buyer gave the operator (false for many burners); a
    record of another kind naming someone else for the same number disagrees with it, so the
    actor is shown as ``Other Name, registered as Subscriber Name``. Both are records, not
    inferences: which of them is true is for the analyst to judge."""
    needed = ("rel_resolved_from", "rel_uses")
    if not all(store.table_exists(con, t) for t in needed):
        return {}
    sources = store.manifest.get("sources", {})
    registration = [n for n, s in sources.items() if s.get("kind") in _REGISTRATION_KINDS]
    rows = con.execute(
        """
        WITH rf AS (
            SELECT src AS person_id,
                   bool_and(list_contains(?::VARCHAR[], split_part(dst, ':', 1))) AS registered
            FROM rel_resolved_from GROUP BY src),
        mine AS (
            SELECT a.actor_id, unnest(a.phones) AS phone
            FROM actor a JOIN rf ON rf.person_id = a.actor_id AND rf.registered)
        SELECT m.actor_id, list(DISTINCT trim(p.full_name) ORDER BY trim(p.full_name))
        FROM mine m
        JOIN rel_uses u ON u.dst = m.phone AND u.src <> m.actor_id
        JOIN rf o ON o.person_id = u.src AND NOT o.registered
        JOIN node_person p ON p.person_id = u.src
        WHERE trim(coalesce(p.full_name, '')) <> ''
        GROUP BY m.actor_id
        """,
        [registration],
    ).fetchall()
    return {str(a): tuple(str(n) for n in names) for a, names in rows}


def find_actors(store: CaseStore, query: str) -> list[Actor]:
    """The actors ``query`` matches (see :meth:`Directory.find`); InputError with near-miss
    suggestions when none does."""
    people = directory(store)
    hits = people.find(query)
    if not hits:
        people.find_one(query)  # raises the one-line error with suggestions
    return hits


def find_actor(store: CaseStore, query: str) -> Actor:
    """The one actor ``query`` names (name, phone in any format, id or its first characters);
    InputError listing the candidates when several match, or suggesting near misses."""
    return directory(store).find_one(query)
