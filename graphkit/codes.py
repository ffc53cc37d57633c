"""Coded person fields: sex codes, countries (ISO 3166-1 via pycountry), identity documents.

Each coded value is cleaned the same way in Python (building the tables) and in SQL (per row):
lower case, accents stripped, runs of anything but letters and digits -> one space. Countries
become their ISO 3166-1 alpha-2 code from a code (alpha-2, alpha-3, numeric), an English name
(short, official or common, from pycountry's ISO tables) or a common demonym ("Italian", "British").
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "DOCUMENT_PLACEHOLDERS",
    "SEX_CODES",
    "SEX_UNKNOWN",
    "clean_code",
    "clean_code_sql",
    "country_keys",
]

#: cleaned value -> canonical sex code (ISO/IEC 5218 digits included: 1 male, 2 female)
SEX_CODES: dict[str, str] = {
    **dict.fromkeys(
        (
            "m",
            "male",
            "man",
            "men",
            "1",
            "h",
            "homme",
            "masculin",
            "maschio",
            "maschile",
            "uomo",
            "mann",
            "mannlich",
            "hombre",
            "masculino",
            "varon",
        ),
        "M",
    ),
    **dict.fromkeys(
        (
            "f",
            "female",
            "woman",
            "women",
            "w",
            "2",
            "femme",
            "feminin",
            "femmina",
            "femminile",
            "donna",
            "frau",
            "weiblich",
            "mujer",
            "femenino",
        ),
        "F",
    ),
    **dict.fromkeys(
        ("x", "other", "non binary", "nonbinary", "diverse", "divers", "d", "intersex"), "X"
    ),
}
#: cleaned values that say the sex is not known: stored as NULL, not rejected
SEX_UNKNOWN: frozenset[str] = frozenset(
    ("u", "unknown", "unk", "n k", "nk", "not known", "not stated", "ns", "0", "9", "n a", "na")
)
#: cleaned document values that mean "none" (stored as NULL, not rejected)
DOCUMENT_PLACEHOLDERS: frozenset[str] = frozenset(
    ("n a", "na", "none", "nil", "unknown", "not known", "no", "0", "tbc")
)

# names and codes in common use that ISO 3166-1 does not list as such
_EXTRA_COUNTRIES: dict[str, str] = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "russia": "RU",
    "south korea": "KR",
    "north korea": "KP",
    "iran": "IR",
    "syria": "SY",
    "vietnam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "cape verde": "CV",
    "macedonia": "MK",
    "holland": "NL",
    "burma": "MM",
    "kosovo": "XK",
    "xk": "XK",
    "xkx": "XK",
    "d": "DE",  # Germany's code in passports' machine-readable zone
}

# common demonyms (nationality fields often hold these rather than country names)
_DEMONYMS: dict[str, str] = {
    "afghan": "AF",
    "albanian": "AL",
    "algerian": "DZ",
    "american": "US",
    "argentinian": "AR",
    "argentine": "AR",
    "armenian": "AM",
    "australian": "AU",
    "austrian": "AT",
    "bangladeshi": "BD",
    "belarusian": "BY",
    "belgian": "BE",
    "bosnian": "BA",
    "brazilian": "BR",
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "bulgarian": "BG",
    "canadian": "CA",
    "chilean": "CL",
    "chinese": "CN",
    "colombian": "CO",
    "croatian": "HR",
    "cuban": "CU",
    "cypriot": "CY",
    "czech": "CZ",
    "danish": "DK",
    "dutch": "NL",
    "ecuadorian": "EC",
    "egyptian": "EG",
    "eritrean": "ER",
    "estonian": "EE",
    "ethiopian": "ET",
    "filipino": "PH",
    "finnish": "FI",
    "french": "FR",
    "georgian": "GE",
    "german": "DE",
    "ghanaian": "GH",
    "greek": "GR",
    "hungarian": "HU",
    "indian": "IN",
    "indonesian": "ID",
    "iranian": "IR",
    "iraqi": "IQ",
    "irish": "IE",
    "israeli": "IL",
    "italian": "IT",
    "jamaican": "JM",
    "japanese": "JP",
    "jordanian": "JO",
    "kenyan": "KE",
    "kosovan": "XK",
    "kosovar": "XK",
    "kurdish": "IQ",
    "latvian": "LV",
    "lebanese": "LB",
    "libyan": "LY",
    "lithuanian": "LT",
    "luxembourgish": "LU",
    "malaysian": "MY",
    "maltese": "MT",
    "mexican": "MX",
    "moldovan": "MD",
    "montenegrin": "ME",
    "moroccan": "MA",
    "nepalese": "NP",
    "nigerian": "NG",
    "norwegian": "NO",
    "pakistani": "PK",
    "palestinian": "PS",
    "peruvian": "PE",
    "polish": "PL",
    "portuguese": "PT",
    "romanian": "RO",
    "russian": "RU",
    "saudi": "SA",
    "senegalese": "SN",
    "serbian": "RS",
    "slovak": "SK",
    "slovenian": "SI",
    "somali": "SO",
    "south african": "ZA",
    "spanish": "ES",
    "sri lankan": "LK",
    "sudanese": "SD",
    "swedish": "SE",
    "swiss": "CH",
    "syrian": "SY",
    "thai": "TH",
    "tunisian": "TN",
    "turkish": "TR",
    "ukrainian": "UA",
    "venezuelan": "VE",
    "vietnamese": "VN",
    "yemeni": "YE",
    "zimbabwean": "ZW",
}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def clean_code(value: str) -> str:
    """A value as coded values are compared: lower case, no accents, alphanumeric words."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def clean_code_sql(x: str) -> str:
    """SQL of :func:`clean_code` over the text expression ``x``."""
    return f"trim(regexp_replace(lower(strip_accents({x})), '[^a-z0-9]+', ' ', 'g'))"


@functools.cache
def country_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(cleaned key, alpha-2 code) pairs of every spelling recognised, as two tuples."""
    import pycountry

    table: dict[str, str] = {}
    for c in pycountry.countries:
        code = str(c.alpha_2)
        names = [c.alpha_2, c.alpha_3, c.numeric, str(int(c.numeric)), c.name]
        names += [getattr(c, a) for a in ("official_name", "common_name") if hasattr(c, a)]
        for name in names:
            key = clean_code(str(name))
            if key:
                table.setdefault(key, code)
        # "Korea, Republic of" -> also "republic of korea"
        if "," in c.name:
            head, tail = (p.strip() for p in c.name.split(",", 1))
            table.setdefault(clean_code(f"{tail} {head}"), code)
    for key, code in (*_EXTRA_COUNTRIES.items(), *_DEMONYMS.items()):
        table.setdefault(clean_code(key), code)
    keys = tuple(sorted(table))
    return keys, tuple(table[k] for k in keys)
