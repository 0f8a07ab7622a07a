"""Load the official territorial code lists: ČSÚ's struktura_uzemi_cr.csv and GUS's TERYT TERC.

Both loaders read the whole file first and refuse it, naming the line, if any row is malformed;
then they write level by level (parents first) with bulk operations in one transaction. A row is
matched by (country, kind, code): new territories are created, changed ones updated, and an
existing territory keeps its slug. Nothing is ever deleted: tenant data hangs off territories.
See data/README.md for the files, their sources and what each column becomes.
"""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from .models import Country, Territory, TerritoryKind

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_FILES = {
    Country.CZ: DATA_DIR / "cz" / "struktura_uzemi_cr_karlovarsky_kraj.csv",
    Country.PL: DATA_DIR / "pl" / "TERC.csv",
}

BATCH_SIZE = 500
TERC_HEADER = ["WOJ", "POW", "GMI", "RODZ", "NAZWA", "NAZWA_DOD", "STAN_NA"]
# RODZ 1 gmina miejska, 2 gmina wiejska, 3 gmina miejsko-wiejska are gminas. 4 (miasto) and
# 5 (obszar wiejski) are the two parts of an urban-rural gmina, 8 and 9 districts (dzielnice,
# delegatury) of the largest cities: none of them is a territory of its own.
TERC_GMINA_RODZ = {"1", "2", "3"}
TERC_PART_RODZ = {"4", "5", "8", "9"}
# Powiat codes from 61 up are cities with powiat rights (miasto na prawach powiatu).
TERC_CITY_POWIAT_FROM = 61

# Columns of struktura_uzemi_cr.csv that the loader reads; the published file has more.
CZ_REQUIRED_COLUMNS = [
    "obec_kod",
    "obec_text",
    "orp_csu_cis65_kod",
    "orp_text",
    "kraj_csu_cis100_kod",
    "kraj_text",
]
CZ_OPTIONAL_COLUMNS = ["orp_ruian_kod", "kraj_ruian_vusc_kod", "platnost_datum"]

DIGITS = {n: re.compile(rf"^\d{{{n}}}$") for n in (2, 4, 6)}
RUIAN_CODE = re.compile(r"^\d{1,6}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CodeListError(ValueError):
    """The file is not a code list this loader understands; nothing was written."""

    def __init__(self, message, line=None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class LoadReport:
    """What a load did (or, in a dry run, would do), per territory kind."""

    source: str = ""
    encoding: str = ""
    state_dates: list = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped_rows: int = 0
    dry_run: bool = False
    kinds: list = field(default_factory=list)  # in the order they were loaded, parents first

    def summary_lines(self):
        lines = []
        for kind in self.kinds:
            lines.append(
                f"{TerritoryKind(kind).label}: {self.created[kind]} created, "
                f"{self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            )
        return lines


@dataclass(frozen=True)
class _Unit:
    kind: str
    code: str
    name: str
    parent_code: str | None
    code_ruian: str | None  # None: the file does not carry it, leave the stored value alone
    line: int


def _read_text(fileobj):
    """Decode a code-list file: UTF-8 (with or without BOM), else windows-1250."""
    data = fileobj.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "text"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # ČSÚ still serves some exports in windows-1250; it decodes any byte sequence, so it is
        # only the fallback.
        return data.decode("cp1250"), "windows-1250"


def _source_name(fileobj):
    return str(getattr(fileobj, "name", "") or "")


def _check(condition, message, line):
    if not condition:
        raise CodeListError(message, line)


def _add_unit(units, seen_lines, unit):
    key = (unit.kind, unit.code)
    _check(
        key not in seen_lines,
        f"code {unit.code} appears twice (first on line {seen_lines.get(key)})",
        unit.line,
    )
    seen_lines[key] = unit.line
    units.append(unit)


# --- Poland: TERYT TERC ---------------------------------------------------------------------


def _parse_terc(text, report):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader, None)
    _check(header is not None, "the file is empty", 1)
    header = [column.strip() for column in header]
    _check(
        header == TERC_HEADER,
        f"expected the TERC header {';'.join(TERC_HEADER)}, found {';'.join(header)}",
        1,
    )
    wojewodztwa, powiaty, gminy = [], [], []
    seen_lines = {}
    state_dates = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        _check(len(row) == 7, f"expected 7 fields separated by ';', found {len(row)}", line)
        woj, pow_, gmi, rodz, name, name_extra, state = (cell.strip() for cell in row)
        _check(DIGITS[2].match(woj), f"WOJ must be two digits, found {woj!r}", line)
        _check(name, "NAZWA is empty", line)
        _check(ISO_DATE.match(state), f"STAN_NA must be a date YYYY-MM-DD, found {state!r}", line)
        state_dates.add(state)
        if not pow_:
            _check(not gmi and not rodz, "a województwo row must have empty GMI and RODZ", line)
            # GUS writes voivodeship names in capitals; the official name is the lower-case
            # adjective after the word "województwo" (e.g. "województwo dolnośląskie").
            unit = _Unit(
                TerritoryKind.PL_WOJEWODZTWO, woj, f"województwo {name.lower()}", None, None, line
            )
            _add_unit(wojewodztwa, seen_lines, unit)
            continue
        _check(DIGITS[2].match(pow_), f"POW must be two digits, found {pow_!r}", line)
        if not gmi:
            _check(not rodz, "a powiat row must have an empty RODZ", line)
            # A city with powiat rights keeps its own name; a land powiat is published as the
            # adjective ("bolesławiecki") and officially called "powiat bolesławiecki".
            is_city = int(pow_) >= TERC_CITY_POWIAT_FROM
            unit = _Unit(
                TerritoryKind.PL_POWIAT,
                woj + pow_,
                name if is_city else f"powiat {name}",
                woj,
                None,
                line,
            )
            _add_unit(powiaty, seen_lines, unit)
            continue
        _check(DIGITS[2].match(gmi), f"GMI must be two digits, found {gmi!r}", line)
        _check(
            rodz in TERC_GMINA_RODZ | TERC_PART_RODZ,
            f"RODZ must be one of 1, 2, 3, 4, 5, 8, 9, found {rodz!r}",
            line,
        )
        if rodz in TERC_PART_RODZ:
            report.skipped_rows += 1
            continue
        unit = _Unit(TerritoryKind.PL_GMINA, woj + pow_ + gmi + rodz, name, woj + pow_, None, line)
        _add_unit(gminy, seen_lines, unit)
    report.state_dates = sorted(state_dates)
    return [
        (TerritoryKind.PL_WOJEWODZTWO, wojewodztwa),
        (TerritoryKind.PL_POWIAT, powiaty),
        (TerritoryKind.PL_GMINA, gminy),
    ]


def load_pl_terc(fileobj, *, dry_run=False) -> LoadReport:
    """Load województwa, powiaty and gminas (RODZ 1–3) from GUS's TERC file (wersja urzędowa)."""
    report = LoadReport(source=_source_name(fileobj), dry_run=dry_run)
    text, report.encoding = _read_text(fileobj)
    levels = _parse_terc(text, report)
    _write(Country.PL, levels, report)
    return report


# --- Czechia: ČSÚ struktura_uzemi_cr.csv ----------------------------------------------------


def _detect_delimiter(first_line):
    # ČSÚ publishes the file comma-separated; files re-saved by spreadsheets often use ';'.
    for delimiter in (",", ";", "\t"):
        columns = {c.strip().strip('"').lower() for c in first_line.split(delimiter)}
        if "obec_kod" in columns:
            return delimiter
    raise CodeListError(
        "this is not ČSÚ's struktura_uzemi_cr.csv: the header has no column obec_kod", 1
    )


def _parse_cz_structure(text, report):
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_detect_delimiter(first_line))
    header = [column.strip().lower() for column in next(reader)]
    missing = [column for column in CZ_REQUIRED_COLUMNS if column not in header]
    _check(not missing, f"missing column(s): {', '.join(missing)}", 1)
    index = {column: header.index(column) for column in header}

    kraje, orps, obce = [], [], []
    seen_lines = {}
    known = {}  # (kind, code) -> the values first read for it, to catch contradicting rows
    state_dates = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        _check(
            len(row) == len(header),
            f"expected {len(header)} fields like the header, found {len(row)}",
            line,
        )

        def value(column, row=row):
            return row[index[column]].strip() if column in index else ""

        obec_code, orp_code, kraj_code = (
            value("obec_kod"),
            value("orp_csu_cis65_kod"),
            value("kraj_csu_cis100_kod"),
        )
        orp_ruian = value("orp_ruian_kod") if "orp_ruian_kod" in index else None
        kraj_ruian = value("kraj_ruian_vusc_kod") if "kraj_ruian_vusc_kod" in index else None
        _check(DIGITS[6].match(obec_code), f"obec_kod must be 6 digits, found {obec_code!r}", line)
        _check(
            DIGITS[4].match(orp_code),
            f"orp_csu_cis65_kod must be 4 digits, found {orp_code!r}",
            line,
        )
        _check(
            DIGITS[4].match(kraj_code),
            f"kraj_csu_cis100_kod must be 4 digits, found {kraj_code!r}",
            line,
        )
        for column, code in (("orp_ruian_kod", orp_ruian), ("kraj_ruian_vusc_kod", kraj_ruian)):
            _check(
                code is None or RUIAN_CODE.match(code),
                f"{column} must be a number, found {code!r}",
                line,
            )
        for column in ("obec_text", "orp_text", "kraj_text"):
            _check(value(column), f"{column} is empty", line)
        state = value("platnost_datum")
        if state:
            state_dates.add(state)

        for unit in (
            _Unit(TerritoryKind.CZ_KRAJ, kraj_code, value("kraj_text"), None, kraj_ruian, line),
            _Unit(TerritoryKind.CZ_ORP, orp_code, value("orp_text"), kraj_code, orp_ruian, line),
        ):
            key = (unit.kind, unit.code)
            facts = (unit.name, str(unit.parent_code or "-"), str(unit.code_ruian or "-"))
            if key in known:
                first_line_no, first_facts = known[key]
                _check(
                    facts == first_facts,
                    f"{unit.code} is described differently than on line {first_line_no} "
                    f"({', '.join(facts)} vs {', '.join(first_facts)})",
                    line,
                )
                continue
            known[key] = (line, facts)
            _add_unit(kraje if unit.kind == TerritoryKind.CZ_KRAJ else orps, seen_lines, unit)
        # Obec codes are the same in ČSÚ code list 43 and RÚIAN, so code_ruian stays empty.
        obec = _Unit(TerritoryKind.CZ_OBEC, obec_code, value("obec_text"), orp_code, None, line)
        _add_unit(obce, seen_lines, obec)
    report.state_dates = sorted(state_dates)
    return [
        (TerritoryKind.CZ_KRAJ, kraje),
        (TerritoryKind.CZ_ORP, orps),
        (TerritoryKind.CZ_OBEC, obce),
    ]


def load_cz_structure(fileobj, *, dry_run=False) -> LoadReport:
    """Load kraje, ORP and obce from ČSÚ's struktura_uzemi_cr.csv (UTF-8 or windows-1250).

    Kraj: `code` is the ČSÚ code list 100 code (e.g. 3051), `code_ruian` the RÚIAN VÚSC code
    (51). ORP: `code` is ČSÚ code list 65 (4103), `code_ruian` the RÚIAN code (531). Obec: the
    six-digit code. Obce hang under their ORP, ORP under their kraj; okresy are not modelled.
    """
    report = LoadReport(source=_source_name(fileobj), dry_run=dry_run)
    text, report.encoding = _read_text(fileobj)
    levels = _parse_cz_structure(text, report)
    _write(Country.CZ, levels, report)
    return report


# --- Writing --------------------------------------------------------------------------------


# slugify() drops letters that Unicode does not decompose into a base letter and an accent;
# of the Czech and Polish alphabets that is only ł/Ł ("Łódź" would become "odz").
SLUG_TRANSLITERATION = str.maketrans({"ł": "l", "Ł": "L"})


def _unique_slug(name, code, used):
    # The model's rule for a blank slug (Territory.save, which bulk_create does not call), with
    # ł transliterated: a slug is never changed later, so it has to be right when created.
    base = slugify(f"{name}-{code}".translate(SLUG_TRANSLITERATION))[:80]
    slug, n = base, 1
    while slug in used:
        n += 1
        suffix = f"-{n}"
        slug = base[: 80 - len(suffix)] + suffix
    used.add(slug)
    return slug


def _write(country, levels, report):
    with transaction.atomic():
        used_slugs = set(Territory.objects.values_list("slug", flat=True))
        parent_ids = {}
        for kind, units in levels:
            parent_ids = _write_level(country, kind, units, parent_ids, used_slugs, report)
        if report.dry_run:
            transaction.set_rollback(True)


def _write_level(country, kind, units, parent_ids, used_slugs, report):
    """Create or update one level; return {code: id} of that level for the next one."""
    report.kinds.append(kind)
    existing = {
        territory.code: territory
        for territory in Territory.objects.filter(country=country, kind=kind).only(
            "id", "code", "name", "parent_id", "code_ruian"
        )
    }
    to_create, to_update = [], []
    for unit in units:
        parent_id = None
        if unit.parent_code is not None:
            parent_id = parent_ids.get(unit.parent_code)
            _check(
                parent_id is not None,
                f"{unit.code} {unit.name}: its parent {unit.parent_code} is neither in the file "
                "nor already loaded",
                unit.line,
            )
        territory = existing.get(unit.code)
        if territory is None:
            to_create.append(
                Territory(
                    country=country,
                    kind=kind,
                    code=unit.code,
                    name=unit.name,
                    parent_id=parent_id,
                    code_ruian=unit.code_ruian or "",
                    slug=_unique_slug(unit.name, unit.code, used_slugs),
                )
            )
            report.created[kind] += 1
            continue
        new_values = {"name": unit.name, "parent_id": parent_id}
        if unit.code_ruian is not None:
            new_values["code_ruian"] = unit.code_ruian
        if all(getattr(territory, attr) == value for attr, value in new_values.items()):
            report.unchanged[kind] += 1
            continue
        for attr, value in new_values.items():
            setattr(territory, attr, value)
        to_update.append(territory)
        report.updated[kind] += 1
    Territory.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Territory.objects.bulk_update(
        to_update, ["name", "parent", "code_ruian"], batch_size=BATCH_SIZE
    )
    return dict(Territory.objects.filter(country=country, kind=kind).values_list("code", "id"))


LOADERS = {Country.CZ: load_cz_structure, Country.PL: load_pl_terc}
