"""Country names and codes to ISO-3166 alpha-2, from pycountry (shipped to Glue with
``--additional-python-modules``), plus the common aliases people type."""

from __future__ import annotations

import pycountry

ALIASES = {
    "USA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "UK": "GB",
    "U.K.": "GB",
    "BRITAIN": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "RUSSIA": "RU",
    "SOUTH KOREA": "KR",
    "KOREA": "KR",
    "NORTH KOREA": "KP",
    "VIETNAM": "VN",
    "IRAN": "IR",
    "SYRIA": "SY",
    "BOLIVIA": "BO",
    "VENEZUELA": "VE",
    "TANZANIA": "TZ",
    "LAOS": "LA",
    "MOLDOVA": "MD",
    "CZECHIA": "CZ",
    "CZECH REPUBLIC": "CZ",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "UAE": "AE",
    "IVORY COAST": "CI",
    "TAIWAN": "TW",
}


def country_lookup() -> dict[str, str]:
    """Upper-cased code or English name -> alpha-2 code."""
    lookup: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                lookup.setdefault(value.strip().upper(), code)
    lookup.update(ALIASES)
    return lookup
