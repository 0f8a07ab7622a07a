"""Import organisations from the official school registers (CZ MŠMT, PL RSPO).

Where the format facts come from (checked while writing this module):

* Czech register (RSSZ), legacy XML. MŠMT's open-data catalogue (GitHub opendata-msmt/lkod-min,
  ``datové-sady/Rejstřík-škol-a-školských-zařízení-*.jsonld``) publishes the national file
  ``rejstriky.msmt.cz/opendata/vrejcelk.xml`` and one file per region (``vrejcz051.xml`` for the
  Liberec region, …), all described by ``PopisVetyVrejskol.txt``. The record description itself
  could not be retrieved; element names come from DESIGN.md, the issue, and public readers of
  the real file: root ``ExportDat``, one ``PravniSubjekt`` per legal entity with ``RedIzo``,
  ``ICO``, ``Reditelstvi`` (``RedPlnyNazev``, ``RedZkracenyNazev``, ``RedRUAINKod``,
  ``RedAdresa1``–``3``, ``PravniForma``, ``DruhZrizovatele``, ``Okres``, ``ORP``, ``Email1``,
  ``Reditel``), ``Zrizovatele/Zrizovatel`` (``ZrizNazev``, ``ZrizICO``; natural persons carry
  ``ZrizDatumNarozeni`` instead of an IČO) and ``SkolyZarizeni/SkolaZarizeni`` (``IZO``,
  ``SkolaPlnyNazev``, ``SkolaDruhTyp``, ``SkolaMistaVykonuCinnosti``…). Founders are looked up
  anywhere inside the record, since readers disagree on whether they sit under ``Reditelstvi``.
  ``RedRUAINKod``/``MistoRUAINKod`` are RÚIAN *address-point* codes, not municipality codes, so
  the municipality is read from the address's last line ("PSČ Obec") and matched by name.
* Czech register, JSON-LD. MŠMT's JSON Schema (lkod.msmt.gov.cz/schemas/rssz-json-schema.jschema):
  ``{"@context": "http://msmt.cz/", "datumVystupu": …, "list": [...]}``; items have ``redIzo``,
  ``ico``, ``uplnyNazev``, ``zkracenyNazev``, ``adresa`` (``obec``, ``castObce``, ``psc``,
  ``kodRUIAN``, ``okres``, ``uzemiDleORP``, …), ``typZrizovatele``, ``emaily``, ``zrizovatele``
  (``druhOsoby``, ``nazevOsoby``, ``ico``) and ``skolyAZarizeni`` (``izo``, ``uplnyNazev``,
  ``druh``). There is no municipality code either.
* School kinds: codes of MŠMT's code list AKDT ("druhy a typy škol a školských zařízení"). Its
  text could not be retrieved; the groups used below (A kindergarten, B primary school,
  C secondary school, K school counselling facility) are the ones named in the issue and agree
  with the kind name the register prints next to every code (``SkolaPlnyNazev`` / ``uplnyNazev``);
  D (conservatoire) is seen in the data but NOT confirmed. Without a code, that name decides.
* NOT confirmed: what the ``ORP`` element and ``uzemiDleORP`` hold (ČSÚ code list 65, RÚIAN
  code or a name), so both codes of the territory and its name are accepted; the founder type
  codes (``DruhZrizovatele``/``typZrizovatele``, code list BAZS), which are therefore not used.
* Polish RSPO. The API (api.rspo.gov.pl since January 2026) answers ``/api/placowki/`` with a
  plain JSON list; the former api-rspo.men.gov.pl answered Hydra JSON-LD pages
  (``hydra:member``). Fields: DESIGN.md and the API's ``PlacowkaDTO`` (``numerRspo``, ``nazwa``,
  ``nazwaSkrocona``, ``regon``, ``typ{id,nazwa}``, ``etapyEdukacji[{nazwa}]``, ``liczbaUczniow``,
  ``wojewodztwoKodTERYT``, ``powiatKodTERYT``, ``gminaKodTERYT``, ``gmina``, ``miejscowosc``,
  ``ulica``, ``numerBudynku``, ``numerLokalu``, ``kodPocztowy``, ``geolokalizacja``, ``telefon``,
  ``email``, ``stronaInternetowa``, ``dataLikwidacji``, ``organProwadzacy*`` or
  ``podmiotProwadzacy[]``). The rspo.gov.pl search export is a ``;``-separated CSV whose header
  starts ``Numer RSPO;REGON;NIP;Typ;Nazwa;Kod terytorialny województwo;…``; it wraps some cells
  as ``="0123"`` so spreadsheets keep leading zeros, and comes as UTF-8 with or without a BOM
  (windows-1250 is accepted as a fallback). Type names are the register's dictionary
  (``/api/typ/``); stage names (``/api/etap_edukacyjny/``) are matched loosely, NOT confirmed.

Rules worth knowing:

* Strict files: a record with a malformed value (an identifier or number that is not one) makes
  the whole file unusable, so nothing is written; the preview lists every such record. Records
  that are merely skipped (outside the territory, duplicate key, no identifier) do not, and a
  malformed record that is plainly outside the territory is just skipped. A JSON value of the
  wrong type (a number where a list of schools belongs, an object where text does…) is
  reported wherever its record is: the file is then not what it claims to be.
* Matching: a record belongs to the organisation with its RED_IZO (CZ) or RSPO number (PL);
  failing that, to the one organisation of the territory with its IČO (CZ) or REGON (PL) and
  no RED_IZO / RSPO number (entered by hand), which then gets the number and is updated like
  any other. Several such organisations, or several records for one of them, skip the record:
  someone has to say which is which.
* Personal data: heads of schools are never imported, and founders who are natural persons are
  left out of ``founder``.
* Invalid e-mail addresses and web addresses (anything but http/https) are dropped rather than
  stored, because templates turn them into links.
"""

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope

from spolu.core.audit import acting_as
from spolu.core.fields import fold
from spolu.territories.models import Country, Territory, TerritoryKind

from .models import EducationLevel, Organisation, OrganisationKind, Source

# The JSON parsers load the whole file. Regional Czech files are a few MB; the national JSON-LD
# (~30 MB) would need ten times that in memory, so the national register should be imported
# from vrejcelk.xml, which is parsed as a stream.
JSON_MAX_BYTES = 25 * 1024 * 1024

# Fields the registers fill in, in the order the report shows them.
IMPORTED_FIELDS = [
    "name",
    "short_name",
    "kind",
    "ico",
    "red_izo",
    "izo",
    "regon",
    "rspo",
    "founder",
    "address",
    "municipality",
    "latitude",
    "longitude",
    "web",
    "email",
    "phone",
    "education_levels",
    "pupils",
    "active",
]
_TEXT_LIMITS = {
    "name": 300,
    "short_name": 120,
    "founder": 300,
    "address": 300,
    "izo": 200,
    "phone": 40,
}
_COORDINATE = Decimal("0.00001")
_ICO = gettext_lazy("IČO")


class RegisterFileError(Exception):
    """The file cannot be read as the chosen register format at all."""

    def __init__(self, message, number=None):
        super().__init__(message)
        self.message = str(message)
        self.number = number  # a line of the file, when known


@dataclass
class RegisterRecord:
    """One organisation as a register file describes it.

    ``number`` is what the user sees: the line for CSV, the record's ordinal for XML and JSON.
    A value of None means the format does not carry that field (it is then left untouched);
    an empty string means the register has it empty.
    """

    number: int
    key_field: str  # "red_izo" or "rspo"
    name: str = ""
    short_name: str | None = None
    kind: str = OrganisationKind.OTHER
    ico: str | None = None
    red_izo: str | None = None
    izo: str | None = None
    regon: str | None = None
    rspo: str | None = None
    founder: str | None = None
    address: str | None = None
    municipality_code: str = ""
    municipality_name: str = ""
    orp_code: str = ""
    powiat_code: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    web: str | None = None
    email: str | None = None
    phone: str | None = None
    education_levels: list[str] = field(default_factory=list)
    pupils: int | None = None
    active: bool = True

    @property
    def key(self) -> str:
        return getattr(self, self.key_field) or ""


@dataclass
class RecordProblem:
    """A malformed record: ``message`` is for the user; ``record`` holds what could be read.

    ``where`` says what the number counts ("line 12", "record 4"), for display.
    """

    number: int | None
    message: str
    record: RegisterRecord | None = None
    unit: str = ""

    @property
    def where(self) -> str:
        return f"{self.unit} {self.number}".strip() if self.number is not None else ""


@dataclass
class ReportItem:
    """One line of the report, simple enough for a template.

    ``changes`` and ``conflicts`` are lists of (field label, old, new) as display strings; for a
    conflict "old" is the value a user entered (kept) and "new" the register's.
    """

    number: int | None
    name: str
    identifier: str = ""
    identifier_label: str = ""
    kind_label: str = ""
    reason: str = ""
    reason_code: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    organisation_id: int | None = None
    unit: str = ""
    # For apply_import: JSON-form values to write, the current values they replace, and the
    # register's values to remember.
    values: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    register_values: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.unit} {self.number}".strip() if self.number is not None else ""


@dataclass
class ImportReport:
    """What an import did or would do; ``usable`` False means nothing may be written."""

    territory: Territory | None = None
    format_code: str = ""
    created: list[ReportItem] = field(default_factory=list)
    updated: list[ReportItem] = field(default_factory=list)
    unchanged: list[ReportItem] = field(default_factory=list)
    conflicts: list[ReportItem] = field(default_factory=list)
    skipped: list[ReportItem] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    usable: bool = True
    records: int = 0
    applied: bool = False

    @classmethod
    def unreadable(cls, message, *, territory=None, format_code="", line=None):
        return cls(
            territory=territory,
            format_code=format_code,
            problems=[RecordProblem(line, str(message), unit=_("line"))],
            usable=False,
        )

    @property
    def format_label(self) -> str:
        return str(FORMATS[self.format_code][0]) if self.format_code in FORMATS else ""

    @property
    def number_label(self) -> str:
        """What a number in this report counts: lines of a CSV file, records otherwise."""
        return _("line") if self.format_code == "pl_rspo_csv" else _("record")

    @property
    def skipped_outside(self) -> list[ReportItem]:
        return [item for item in self.skipped if item.reason_code == "outside"]

    @property
    def skipped_other(self) -> list[ReportItem]:
        return [item for item in self.skipped if item.reason_code != "outside"]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "conflicts": len(self.conflicts),
            "skipped": len(self.skipped),
            "skipped_outside": len(self.skipped_outside),
            "problems": len(self.problems),
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated or self.conflicts)


# --- small value helpers --------------------------------------------------------------------


def _text(value) -> str:
    """A cell as clean text: Excel's ="…" wrapping removed, whitespace collapsed."""
    if value is None:
        return ""
    text = str(value).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return " ".join(text.split())


def _limited(name: str, value: str | None) -> str | None:
    if value is None or name not in _TEXT_LIMITS:
        return value
    return value[: _TEXT_LIMITS[name]].strip()


class _Checker:
    """Validates one record's values, collecting the problems under the record's number."""

    def __init__(self, number):
        self.number = number
        self.problems: list[str] = []
        self.misshapen = False  # a JSON value of the wrong type

    def wrong_type(self, path, value, expected):
        """``path`` names the value in the record ("adresa.obec", "skolyAZarizeni[2]"); the
        types are JSON's own terms, like the field names."""
        self.misshapen = True
        self.problems.append(
            _("%(field)s: expected %(expected)s, found %(found)s.")
            % {"field": path, "expected": expected, "found": _json_type(value)}
        )

    def bad(self, label, value, message=None):
        self.problems.append(
            (message or _("%(field)s “%(value)s” is not a valid number."))
            % {"field": label, "value": value}
        )

    def identifier(self, label, value, *, pad=False, lengths=None, max_length=None):
        """Digits only; with ``pad``, leading zeros lost on the way (spreadsheets, JSON
        numbers) are put back up to the nearest allowed length."""
        text = _text(value).replace(" ", "")
        if not text:
            return ""
        if not (text.isascii() and text.isdigit()):
            self.bad(label, text)
            return None
        if pad and lengths:
            text = text.zfill(next((n for n in sorted(lengths) if n >= len(text)), 0))
        if (lengths and len(text) not in lengths) or (max_length and len(text) > max_length):
            self.bad(label, text, _("%(field)s “%(value)s” has the wrong number of digits."))
            return None
        return text

    def integer(self, label, value):
        text = _text(value).replace(" ", "")
        if not text:
            return None
        digits = text.lstrip("0") or "0"
        # Nine digits at most: what the database keeps (and int() refuses thousands).
        if not re.fullmatch(r"[0-9]{1,9}", digits):
            self.bad(label, text)
            return None
        return int(digits)

    def coordinate(self, label, value, limit):
        text = _text(value).replace(",", ".")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.bad(label, text)
            return None
        if not number.is_finite() or abs(number) > limit:
            self.bad(label, text, _("%(field)s “%(value)s” is not a valid coordinate."))
            return None
        return number.quantize(_COORDINATE)

    def result(self, record: RegisterRecord):
        if self.problems:
            # A misshapen record is reported wherever it is, so it goes without its place.
            known = None if self.misshapen else record
            return [RecordProblem(self.number, message, known) for message in self.problems]
        return [record]


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number"


def _is_scalar(value) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


class _JsonValues:
    """Reads the values of one JSON record by the type each must have.

    A value of another type is a problem of the record (see ``_Checker.wrong_type``) and is
    read as missing, so the parsers never trip over it; null is always read as missing.
    Each method takes the value and its path in the record, for the message.
    """

    def __init__(self, check: _Checker):
        self.check = check

    def scalar(self, value, path):
        """Text or a number (identifiers often come as JSON numbers); None when missing."""
        if value is None or _is_scalar(value):
            return value
        self.check.wrong_type(path, value, "string or number")
        return None

    def object(self, value, path) -> dict:
        if value is None or isinstance(value, dict):
            return value or {}
        self.check.wrong_type(path, value, "object")
        return {}

    def array(self, value, path, *, alone=None) -> list[tuple[str, object]]:
        """The elements of an array with their paths (not checked: the caller knows what they
        must be). ``alone`` ("object" or "scalar") also accepts one such value without an
        array, as some exports write a single element."""
        if value is None:
            return []
        if isinstance(value, list):
            return [(f"{path}[{n}]", element) for n, element in enumerate(value, start=1)]
        if (alone == "object" and isinstance(value, dict)) or (
            alone == "scalar" and _is_scalar(value)
        ):
            return [(path, value)]
        expected = {"object": "array or object", "scalar": "array or string"}
        self.check.wrong_type(path, value, expected.get(alone, "array"))
        return []

    def objects(self, value, path, *, alone=False) -> list[tuple[str, dict]]:
        """An array of objects (with ``alone``, one object too); null elements are left out."""
        found = []
        for where, element in self.array(value, path, alone="object" if alone else None):
            if element is not None:
                found.append((where, self.object(element, where)))
        return found

    def fields(self, value: dict, path, names) -> dict:
        """The named scalar fields of an object, as text-or-number (or None)."""
        prefix = f"{path}." if path else ""
        return {name: self.scalar(value.get(name), prefix + name) for name in names}

    def named(self, value, path) -> str:
        """A dictionary entry of the RSPO API: ``{"id": …, "nazwa": …}`` or its name alone."""
        if isinstance(value, dict):
            return _text(self.scalar(value.get("nazwa"), f"{path}.nazwa"))
        if value is None or _is_scalar(value):
            return _text(value)
        self.check.wrong_type(path, value, "object or string")
        return ""


def _web(value) -> str:
    text = _text(value)
    if not text:
        return ""
    if "://" not in text:
        text = "http://" + text
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        return ""
    return text if len(text) <= 200 else ""


def _email(value) -> str:
    for candidate in re.split(r"[\s,;]+", _text(value)):
        try:
            EmailValidator()(candidate)
        except ValidationError:
            continue
        if len(candidate) <= 254:
            return candidate
    return ""


def _join(parts, separator=", ") -> str:
    return separator.join(p for p in (_text(x) for x in parts) if p)


# --- school kinds ---------------------------------------------------------------------------

# First letter of the AKDT code → (organisation kind, education level).
_CZ_GROUPS = {
    "A": (OrganisationKind.KINDERGARTEN, EducationLevel.PRESCHOOL),
    "B": (OrganisationKind.PRIMARY_SCHOOL, EducationLevel.PRIMARY),
    "C": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "D": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "K": (OrganisationKind.COUNSELLING_CENTRE, None),
}
# Used only when a record has no code: the register's own name of the kind.
_CZ_GROUP_BY_NAME = [
    ("materska skola", "A"),
    ("zakladni skola", "B"),
    ("stredni skola", "C"),
    ("gymnazium", "C"),
    ("konzervator", "D"),
    ("poradna", "K"),
    ("pedagogicke centrum", "K"),
]
# A legal entity with several schools is known by the first of these it runs.
_KIND_PRIORITY = [
    OrganisationKind.PRIMARY_SCHOOL,
    OrganisationKind.SECONDARY_SCHOOL,
    OrganisationKind.KINDERGARTEN,
    OrganisationKind.COUNSELLING_CENTRE,
]
_LEVEL_ORDER = [code for code, _label in EducationLevel.choices]


def _ordered_levels(levels) -> list[str]:
    chosen = set(levels)
    return [code for code in _LEVEL_ORDER if code in chosen]


def _strongest_kind(kinds) -> str:
    for kind in _KIND_PRIORITY:
        if kind in kinds:
            return kind
    return OrganisationKind.OTHER


def cz_kind_and_levels(schools) -> tuple[str, list[str]]:
    """Kind and levels of a Czech legal entity from its (AKDT code, kind name) pairs.

    A legal entity running a kindergarten and a primary school is a primary school serving
    preschool and primary levels; facilities (canteens, after-school clubs…) add nothing.
    """
    kinds, levels = set(), set()
    for code, kind_name in schools:
        group = (code or "").strip()[:1].upper()
        if not group:
            folded = fold(kind_name or "")
            group = next((g for words, g in _CZ_GROUP_BY_NAME if words in folded), "")
        if group in _CZ_GROUPS:
            kind, level = _CZ_GROUPS[group]
            kinds.add(kind)
            if level:
                levels.add(level)
    return _strongest_kind(kinds), _ordered_levels(levels)


_PL_KINDS = {
    "przedszkole": (OrganisationKind.KINDERGARTEN, EducationLevel.PRESCHOOL),
    "punkt przedszkolny": (OrganisationKind.KINDERGARTEN, EducationLevel.PRESCHOOL),
    "zespol wychowania przedszkolnego": (OrganisationKind.KINDERGARTEN, EducationLevel.PRESCHOOL),
    "szkola podstawowa": (OrganisationKind.PRIMARY_SCHOOL, EducationLevel.PRIMARY),
    "gimnazjum": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "liceum ogolnoksztalcace": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "liceum profilowane": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "liceum sztuk plastycznych": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "technikum": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "branzowa szkola i stopnia": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "branzowa szkola ii stopnia": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "zasadnicza szkola zawodowa": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "szkola specjalna przysposabiajaca do pracy": (
        OrganisationKind.SECONDARY_SCHOOL,
        EducationLevel.SECONDARY,
    ),
    "szkola policealna": (OrganisationKind.SECONDARY_SCHOOL, EducationLevel.SECONDARY),
    "poradnia psychologiczno-pedagogiczna": (OrganisationKind.COUNSELLING_CENTRE, None),
    "poradnia specjalistyczna": (OrganisationKind.COUNSELLING_CENTRE, None),
    "mlodziezowy dom kultury": (OrganisationKind.OTHER, EducationLevel.OUT_OF_SCHOOL),
    "palac mlodziezy": (OrganisationKind.OTHER, EducationLevel.OUT_OF_SCHOOL),
    "ognisko pracy pozaszkolnej": (OrganisationKind.OTHER, EducationLevel.OUT_OF_SCHOOL),
    "miedzyszkolny osrodek sportowy": (OrganisationKind.OTHER, EducationLevel.OUT_OF_SCHOOL),
}


def _pl_stage_level(name: str) -> str | None:
    folded = fold(name)
    if "przedszkol" in folded:
        return EducationLevel.PRESCHOOL
    if re.search(r"(^|\W)(iii|iv)\s+etap", folded) or "ponadpodstaw" in folded:
        return EducationLevel.SECONDARY
    if re.search(r"(^|\W)(i|ii)\s+etap", folded) or "podstawow" in folded:
        return EducationLevel.PRIMARY
    return None


def pl_kind_and_levels(type_name: str, stage_names=()) -> tuple[str, list[str]]:
    """Kind and levels of a Polish placówka from its RSPO type and education stages."""
    kind, level = _PL_KINDS.get(fold(_text(type_name)), (OrganisationKind.OTHER, None))
    levels = {lvl for lvl in (_pl_stage_level(_text(s)) for s in stage_names) if lvl}
    if not levels and level:
        levels = {level}
    return kind, _ordered_levels(levels)


# --- Czech XML ------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


_POSTCODE_LINE = re.compile(r"\d{3} ?\d{2} +(.+)")


def _cz_obec(lines) -> str:
    """The municipality in a Czech address (clean lines): the last line reads "PSČ Obec"."""
    for line in reversed(lines):
        match = _POSTCODE_LINE.fullmatch(line) if line else None
        if match:
            return match.group(1).strip()
    return ""


def parse_cz_register_xml(fileobj):
    """Records of the MŠMT register's XML export, read as a stream in bounded memory.

    The encoding comes from the XML declaration (UTF-8 and windows-1250 both occur).
    """
    root = None
    ns = ""
    depth = 0
    number = 0
    try:
        for event, elem in ElementTree.iterparse(fileobj, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                    if _local(elem.tag) != "ExportDat":
                        raise RegisterFileError(
                            _(
                                "This is not an export of the Czech register of schools: "
                                "the file starts with <%(tag)s>, not <ExportDat>."
                            )
                            % {"tag": _local(elem.tag)},
                            number=1,
                        )
                    ns = elem.tag[: -len("ExportDat")]
                continue
            depth -= 1
            if depth == 1:
                if elem.tag == ns + "PravniSubjekt":
                    number += 1
                    yield from _cz_xml_record(elem, ns, number)
                # Done with this top-level element: drop it so memory stays flat.
                elem.clear()
                root.clear()
    except ElementTree.ParseError as error:
        line = error.position[0] if error.position else None
        raise RegisterFileError(
            _(
                "The XML file is broken at line %(line)s (after record %(record)s); "
                "it may be incomplete."
            )
            % {"line": line, "record": number},
            number=line,
        ) from error


def _xml_text(node) -> str | None:
    if node is None:
        return None
    return " ".join(node.text.split()) if node.text else ""


def _cz_xml_record(elem, ns, number):
    # One pass over each level by local name: this runs for every legal entity in the country.
    skip = len(ns)
    top = {child.tag[skip:]: child for child in elem}
    red = {child.tag[skip:]: child for child in top.get("Reditelstvi", ())}
    lines = [_xml_text(red.get(f"RedAdresa{i}")) for i in (1, 2, 3)]
    schools = []
    for school in elem.iter(ns + "SkolaZarizeni"):
        values = {child.tag[skip:]: child for child in school}
        schools.append(
            (
                _xml_text(values.get("SkolaDruhTyp")),
                _xml_text(values.get("SkolaPlnyNazev")),
                _xml_text(values.get("IZO")),
            )
        )
    founders = []
    for founder in elem.iter(ns + "Zrizovatel"):
        values = {child.tag[skip:]: child for child in founder}
        is_person = "ZrizDatumNarozeni" in values or not _xml_text(values.get("ZrizICO"))
        if not is_person and _xml_text(values.get("ZrizNazev")):
            founders.append(_xml_text(values["ZrizNazev"]))
    email = _xml_text(red.get("Email1", red.get("Email")))

    check = _Checker(number)
    record = RegisterRecord(
        number=number,
        key_field="red_izo",
        name=_xml_text(red.get("RedPlnyNazev")) or "",
        short_name=_xml_text(red.get("RedZkracenyNazev")) or "",
        orp_code=_xml_text(red.get("ORP")) or "",
        municipality_name=_cz_obec(lines),
        address=", ".join(line for line in lines if line),
        founder="; ".join(founders),
        email=None if email is None else _email(email),
    )
    record.red_izo = check.identifier(
        "RED_IZO", _xml_text(top.get("RedIzo")), pad=True, lengths=[9]
    )
    record.ico = check.identifier(_ICO, _xml_text(top.get("ICO")), pad=True, lengths=[8])
    izos = [check.identifier("IZO", izo, pad=True, lengths=[9]) for _c, _n, izo in schools]
    record.izo = " ".join(dict.fromkeys(i for i in izos if i))
    record.kind, record.education_levels = cz_kind_and_levels((c, n) for c, n, _i in schools)
    return check.result(_finish(record))


def _finish(record: RegisterRecord) -> RegisterRecord:
    for name in _TEXT_LIMITS:
        setattr(record, name, _limited(name, getattr(record, name)))
    return record


# --- JSON -----------------------------------------------------------------------------------


def _load_json(fileobj):
    data = fileobj.read(JSON_MAX_BYTES + 1)
    if len(data) > JSON_MAX_BYTES:
        raise RegisterFileError(
            _(
                "The JSON file is larger than %(size)s MB. Import a smaller (regional) file; "
                "the whole Czech register can be imported from its XML file."
            )
            % {"size": JSON_MAX_BYTES // (1024 * 1024)}
        )
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise RegisterFileError(
            _("The file is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": error.lineno, "column": error.colno},
            number=error.lineno,
        ) from error
    except UnicodeDecodeError as error:
        raise RegisterFileError(_("The file is not text in UTF-8.")) from error
    except (ValueError, RecursionError) as error:
        # A number of thousands of digits, or arrays nested thousands deep.
        raise RegisterFileError(_("The file is not valid JSON.")) from error


def parse_cz_register_jsonld(fileobj):
    """Records of the MŠMT register's JSON-LD export (regional files; see JSON_MAX_BYTES)."""
    data = _load_json(fileobj)
    if not isinstance(data, dict) or not isinstance(data.get("list"), list):
        raise RegisterFileError(
            _("This is not a JSON-LD export of the Czech register of schools (no “list”).")
        )
    for number, item in enumerate(data["list"], start=1):
        if not isinstance(item, dict):
            yield RecordProblem(number, _("The record is not a JSON object."))
            continue
        yield from _cz_json_record(item, number)


def _cz_json_address(adresa: dict) -> str:
    number = _text(adresa.get("cisloDomovni"))
    orientation = _text(adresa.get("cisloOrientacni")) + _text(
        adresa.get("dodatekOrientacnihoCisla")
    )
    if number and orientation:
        number = f"{number}/{orientation}"
    street = (
        _text(adresa.get("ulice")) or _text(adresa.get("castObce")) or _text(adresa.get("obec"))
    )
    first = _join([street, number], " ")
    town = _text(adresa.get("cisloObvoduPrahy")) or _text(adresa.get("obec"))
    part = _text(adresa.get("castObce"))
    middle = part if part and part not in (street, town) and _text(adresa.get("ulice")) else ""
    return _join([first, middle, _join([adresa.get("psc"), town], " ")])


_CZ_ADDRESS_FIELDS = (
    "ulice",
    "cisloDomovni",
    "cisloOrientacni",
    "dodatekOrientacnihoCisla",
    "castObce",
    "obec",
    "cisloObvoduPrahy",
    "psc",
    "uzemiDleORP",
)


def _cz_json_record(item, number):
    check = _Checker(number)
    read = _JsonValues(check)
    adresa = read.fields(read.object(item.get("adresa"), "adresa"), "adresa", _CZ_ADDRESS_FIELDS)
    schools = [
        read.fields(school, path, ("izo", "druh", "uplnyNazev"))
        for path, school in read.objects(item.get("skolyAZarizeni"), "skolyAZarizeni")
    ]
    founders = []
    for path, founder in read.objects(item.get("zrizovatele"), "zrizovatele"):
        values = read.fields(founder, path, ("nazevOsoby", "druhOsoby"))
        if _text(values["druhOsoby"]).upper() != "FO":
            founders.append(_text(values["nazevOsoby"]))
    emails = [
        read.scalar(email, path)
        for path, email in read.array(item.get("emaily"), "emaily", alone="scalar")
    ]
    top = read.fields(item, "", ("redIzo", "ico", "uplnyNazev", "zkracenyNazev"))
    record = RegisterRecord(
        number=number,
        key_field="red_izo",
        name=_text(top["uplnyNazev"]),
        short_name=_text(top["zkracenyNazev"]),
        orp_code=_text(adresa.get("uzemiDleORP")),
        municipality_name=_text(adresa.get("obec")),
        address=_cz_json_address(adresa),
        founder="; ".join(f for f in founders if f),
        email=_email(" ".join(_text(e) for e in emails)),
    )
    record.red_izo = check.identifier("RED_IZO", top["redIzo"], pad=True, lengths=[9])
    record.ico = check.identifier(_ICO, top["ico"], pad=True, lengths=[8])
    izos = [check.identifier("IZO", s.get("izo"), pad=True, lengths=[9]) for s in schools]
    record.izo = " ".join(dict.fromkeys(i for i in izos if i))
    record.kind, record.education_levels = cz_kind_and_levels(
        (_text(s.get("druh")), _text(s.get("uplnyNazev"))) for s in schools
    )
    return check.result(_finish(record))


def parse_rspo_json(fileobj):
    """Records of an RSPO API answer: a Hydra JSON-LD page (``hydra:member``) or a plain list."""
    data = _load_json(fileobj)
    if isinstance(data, dict):
        members = data.get("hydra:member", data.get("member"))
        if members is None and "numerRspo" in data:
            members = [data]
    else:
        members = data
    if not isinstance(members, list):
        raise RegisterFileError(
            _("This is not an answer of the RSPO API (no list of placówki, no “hydra:member”).")
        )
    for number, item in enumerate(members, start=1):
        if not isinstance(item, dict):
            yield RecordProblem(number, _("The record is not a JSON object."))
            continue
        check = _Checker(number)
        yield from _rspo_record(number, _rspo_json_values(item, check), check)


# Our name → the API's field, for the fields that hold text or a number.
_RSPO_JSON_FIELDS = {
    "rspo": "numerRspo",
    "name": "nazwa",
    "short_name": "nazwaSkrocona",
    "regon": "regon",
    "pupils": "liczbaUczniow",
    "woj_code": "wojewodztwoKodTERYT",
    "powiat_code": "powiatKodTERYT",
    "gmina_code": "gminaKodTERYT",
    "gmina_kind": "gminaRodzajKod",
    "gmina": "gmina",
    "place": "miejscowosc",
    "street": "ulica",
    "building": "numerBudynku",
    "flat": "numerLokalu",
    "postcode": "kodPocztowy",
    "post": "poczta",
    "phone": "telefon",
    "email": "email",
    "web": "stronaInternetowa",
    "closed": "dataLikwidacji",
}


def _rspo_json_values(item: dict, check: _Checker) -> dict:
    read = _JsonValues(check)
    values = {
        ours: read.scalar(item.get(theirs), theirs) for ours, theirs in _RSPO_JSON_FIELDS.items()
    }
    places = read.objects(item.get("geolokalizacja"), "geolokalizacja", alone=True)
    geo = read.fields(places[0][1], places[0][0], ("latitude", "longitude")) if places else {}
    founders = []
    for path, operator in read.objects(
        item.get("podmiotProwadzacy"), "podmiotProwadzacy", alone=True
    ):
        name = _text(read.scalar(operator.get("nazwa"), f"{path}.nazwa"))
        founders.append((name, read.named(operator.get("typ"), f"{path}.typ")))
    organ = read.fields(item, "", ("organProwadzacyNazwa", "organProwadzacyTyp"))
    if not founders and organ["organProwadzacyNazwa"]:
        founders.append((_text(organ["organProwadzacyNazwa"]), _text(organ["organProwadzacyTyp"])))
    stages = [
        read.named(stage, path)
        for path, stage in read.array(item.get("etapyEdukacji"), "etapyEdukacji")
    ]
    return {
        **values,
        "short_name": values["short_name"] if "nazwaSkrocona" in item else None,
        "type": read.named(item.get("typ"), "typ"),
        "stages": stages,
        "latitude": geo.get("latitude"),
        "longitude": geo.get("longitude"),
        "founders": founders,
        "has_web": "stronaInternetowa" in item,
        "has_email": "email" in item,
        "has_phone": "telefon" in item,
    }


def _teryt(check: _Checker, values: dict) -> tuple[str, str]:
    """(powiat 4 digits, gmina 7 digits incl. RODZ) from TERYT values however they are cut."""
    woj = check.identifier(_("voivodeship TERYT"), values.get("woj_code"), pad=True, lengths=[2])
    powiat = check.identifier(_("county TERYT"), values.get("powiat_code"), max_length=4) or ""
    gmina = check.identifier(_("commune TERYT"), values.get("gmina_code"), max_length=7) or ""
    if len(powiat) == 2 and woj:
        powiat = woj + powiat
    elif len(powiat) == 3:
        powiat = powiat.zfill(4)
    if len(gmina) == 3 and len(powiat) == 4:
        gmina = powiat + gmina
    elif len(gmina) == 6:
        # Six digits: either a JSON number that lost its leading zero, or a code without
        # its RODZ digit (then given apart, as gminaRodzajKod).
        rodz = _text(values.get("gmina_kind"))
        without_rodz = len(rodz) == 1 and rodz.isdigit() and (not powiat or gmina[:4] == powiat)
        gmina = gmina + rodz if without_rodz else gmina.zfill(7)
    if gmina and len(gmina) != 7:
        check.bad(
            _("commune TERYT"), gmina, _("%(field)s “%(value)s” has the wrong number of digits.")
        )
        gmina = ""
    if not powiat and gmina:
        powiat = gmina[:4]
    if powiat and len(powiat) != 4:
        check.bad(
            _("county TERYT"), powiat, _("%(field)s “%(value)s” has the wrong number of digits.")
        )
        powiat = ""
    return powiat, gmina


def _rspo_record(number: int, values: dict, check: _Checker | None = None):
    check = check or _Checker(number)
    powiat, gmina = _teryt(check, values)
    kind, levels = pl_kind_and_levels(values.get("type") or "", values.get("stages") or ())
    street = _text(values.get("street"))
    building = _text(values.get("building"))
    flat = _text(values.get("flat"))
    place = _text(values.get("place"))
    if flat:
        building = f"{building}/{flat}"
    first = _join([street or (place if building else ""), building], " ")
    last = _join([values.get("postcode"), _text(values.get("post")) or place], " ")
    founders = [
        name
        for name, kind_name in values.get("founders") or []
        if name and "osoba fizyczna" not in fold(kind_name)
    ]
    record = RegisterRecord(
        number=number,
        key_field="rspo",
        name=_text(values.get("name")),
        short_name=None if values.get("short_name") is None else _text(values["short_name"]),
        kind=kind,
        education_levels=levels,
        municipality_code=gmina,
        municipality_name=_text(values.get("gmina")),
        powiat_code=powiat,
        address=_join([first, last]),
        founder="; ".join(founders),
        phone=_text(values.get("phone")) if values.get("has_phone") else None,
        email=_email(values.get("email")) if values.get("has_email") else None,
        web=_web(values.get("web")) if values.get("has_web") else None,
        active=not _text(values.get("closed")),
    )
    record.rspo = check.identifier(_("RSPO number"), values.get("rspo"), max_length=12)
    if record.rspo:
        record.rspo = str(int(record.rspo))
    record.regon = check.identifier("REGON", values.get("regon"), pad=True, lengths=[9, 14])
    record.pupils = check.integer(_("number of pupils"), values.get("pupils"))
    record.latitude = check.coordinate(_("latitude"), values.get("latitude"), 90)
    record.longitude = check.coordinate(_("longitude"), values.get("longitude"), 180)
    return check.result(_finish(record))


# --- RSPO CSV -------------------------------------------------------------------------------

# Our name → the export's column header, folded (lower case, no diacritics).
_CSV_COLUMNS = {
    "rspo": "numer rspo",
    "regon": "regon",
    "type": "typ",
    "name": "nazwa",
    "woj_code": "kod terytorialny wojewodztwo",
    "powiat_code": "kod terytorialny powiat",
    "gmina_code": "kod terytorialny gmina",
    "gmina": "gmina",
    "place": "miejscowosc",
    "street": "ulica",
    "building": "numer budynku",
    "flat": "numer lokalu",
    "postcode": "kod pocztowy",
    "post": "poczta",
    "phone": "telefon",
    "email": "e-mail",
    "web": "strona www",
    "closed": "data likwidacji",
    "founder_name": "nazwa organu prowadzacego",
    "founder_type": "typ organu prowadzacego",
    "pupils": "liczba uczniow",
}
_CSV_REQUIRED = {"rspo": "Numer RSPO", "name": "Nazwa"}


class _Rejoined(io.RawIOBase):
    """A binary stream that first returns the bytes already read, then the rest of the file."""

    def __init__(self, head: bytes, rest):
        self.head = head
        self.rest = rest

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.head:
            chunk, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        else:
            chunk = self.rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _open_text(fileobj):
    """The file as text: UTF-8 with or without a BOM, else windows-1250."""
    head = fileobj.read(64 * 1024)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as error:
            # A character cut by the end of the sample is not a reason to give up on UTF-8.
            encoding = "utf-8" if error.start >= len(head) - 3 else "cp1250"
    raw = io.BufferedReader(_Rejoined(head, fileobj))
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def parse_rspo_csv(fileobj):
    """Records of the rspo.gov.pl CSV export (``;`` or ``,`` separated); numbers are lines."""
    text = _open_text(fileobj)
    try:
        header_line = text.readline()
    except UnicodeDecodeError as error:
        raise RegisterFileError(_("The file is not readable text."), number=1) from error
    if not header_line.strip():
        raise RegisterFileError(_("The file is empty."), number=1)
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    header = next(csv.reader([header_line], delimiter=delimiter))
    positions = {}
    for index, title in enumerate(header):
        positions.setdefault(fold(_text(title).strip('"')), index)
    columns = {key: positions[title] for key, title in _CSV_COLUMNS.items() if title in positions}
    missing = [label for key, label in _CSV_REQUIRED.items() if key not in columns]
    if missing:
        raise RegisterFileError(
            _("This is not an RSPO export: the CSV file has no column %(columns)s.")
            % {"columns": ", ".join(f"“{label}”" for label in missing)},
            number=1,
        )
    reader = csv.reader(text, delimiter=delimiter)
    line = 1
    try:
        for row in reader:
            line = 1 + reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            values = {
                key: (row[index] if index < len(row) else "") for key, index in columns.items()
            }
            values["founders"] = [(_text(values.get("founder_name")), values.get("founder_type"))]
            values["has_phone"] = "phone" in columns
            values["has_email"] = "email" in columns
            values["has_web"] = "web" in columns
            yield from _rspo_record(line, values)
    except (UnicodeDecodeError, csv.Error) as error:
        raise RegisterFileError(
            _("The CSV file cannot be read after line %(line)s.") % {"line": line}, number=line
        ) from error


# --- formats --------------------------------------------------------------------------------

FORMATS = {
    "cz_xml": (
        gettext_lazy("Czech register of schools (MŠMT), XML: vrejcelk.xml or a regional file"),
        parse_cz_register_xml,
    ),
    "cz_jsonld": (
        gettext_lazy("Czech register of schools (MŠMT), JSON-LD (regional file)"),
        parse_cz_register_jsonld,
    ),
    "pl_rspo_json": (gettext_lazy("Polish RSPO, JSON from the API"), parse_rspo_json),
    "pl_rspo_csv": (gettext_lazy("Polish RSPO, CSV export"), parse_rspo_csv),
}
FORMAT_COUNTRY = {
    "cz_xml": Country.CZ,
    "cz_jsonld": Country.CZ,
    "pl_rspo_json": Country.PL,
    "pl_rspo_csv": Country.PL,
}
_SOURCE = {Country.CZ: Source.CZ_REGISTER, Country.PL: Source.PL_RSPO}


def detect_format(filename: str, first_bytes: bytes) -> str | None:
    """Best guess of a file's format from its name and first bytes; None when unsure."""
    name = (filename or "").lower()
    head = (first_bytes or b"").lstrip(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"<"):
        return "cz_xml"
    if head.startswith((b"{", b"[")):
        if b"msmt.cz" in head or b'"redIzo"' in head or name.endswith(".jsonld"):
            return "cz_jsonld"
        return "pl_rspo_json"
    if name.endswith(".xml"):
        return "cz_xml"
    if name.endswith(".csv") or b"RSPO" in head.split(b"\n", 1)[0]:
        return "pl_rspo_csv"
    return None


# --- the territory --------------------------------------------------------------------------


def _same_code(a: str, b: str) -> bool:
    return bool(a) and bool(b) and a.lstrip("0") == b.lstrip("0")


def _orp_matches(value: str, orp: Territory) -> bool:
    value = _text(value)
    if not value:
        return False
    if value.isdigit():
        return _same_code(value, orp.code) or _same_code(value, orp.code_ruian)
    return fold(value) == fold(orp.name)


def _gmina_matches(record_code: str, gmina_code: str) -> bool:
    if not record_code or not gmina_code:
        return False
    if record_code == gmina_code:
        return True
    # An urban-rural gmina (RODZ 3) also appears as its town (4) and its countryside (5).
    return record_code[:6] == gmina_code[:6] and {record_code[6:], gmina_code[6:]} <= {
        "3",
        "4",
        "5",
    }


def _code_key(code: str) -> str:
    # A Polish gmina without its RODZ digit; any Czech obec code keeps its six digits.
    return code.zfill(7)[:6]


class _Area:
    """The territory an import fills and the municipalities a record may be placed in."""

    def __init__(self, territory: Territory):
        self.territory = territory
        kind = territory.kind
        self.orps: list[Territory] = []
        self.powiats: list[Territory] = []
        if kind in (TerritoryKind.CZ_OBEC, TerritoryKind.PL_GMINA):
            self.municipalities = [territory]
        elif kind in (TerritoryKind.CZ_ORP, TerritoryKind.PL_POWIAT):
            self.municipalities = list(Territory.objects.filter(parent=territory))
        else:
            middle = list(Territory.objects.filter(parent=territory))
            self.orps = [t for t in middle if t.kind == TerritoryKind.CZ_ORP]
            self.powiats = [t for t in middle if t.kind == TerritoryKind.PL_POWIAT]
            self.municipalities = list(Territory.objects.filter(parent__in=middle))
        if kind == TerritoryKind.CZ_ORP:
            self.orps = [territory]
        elif kind == TerritoryKind.CZ_OBEC and territory.parent_id:
            parent = Territory.objects.filter(pk=territory.parent_id).first()
            if parent is not None and parent.kind == TerritoryKind.CZ_ORP:
                self.orps = [parent]
        self.by_name: dict[str, list[Territory]] = {}
        self.by_code: dict[str, list[Territory]] = {}
        for municipality in self.municipalities:
            self.by_name.setdefault(fold(municipality.name), []).append(municipality)
            self.by_code.setdefault(_code_key(municipality.code), []).append(municipality)

    def municipality_of(self, record: RegisterRecord) -> Territory | None:
        if record.municipality_code:
            code = record.municipality_code
            for municipality in self.by_code.get(_code_key(code), ()):
                if municipality.kind == TerritoryKind.PL_GMINA:
                    if _gmina_matches(code, municipality.code):
                        return municipality
                elif _same_code(code, municipality.code):
                    return municipality
            return None
        candidates = self.by_name.get(fold(record.municipality_name), [])
        if record.key_field == "rspo":
            # Polish names repeat across the country: a name counts only with the county code.
            if not record.powiat_code:
                return None
            candidates = [c for c in candidates if c.code.startswith(record.powiat_code)]
        return candidates[0] if len(candidates) == 1 else None

    def place(self, record: RegisterRecord) -> tuple[bool, Territory | None]:
        """(whether the record belongs to the territory, its municipality if known)."""
        municipality = self.municipality_of(record)
        kind = self.territory.kind
        code = self.territory.code
        if kind in (TerritoryKind.CZ_ORP, TerritoryKind.CZ_KRAJ):
            if record.orp_code:
                return any(_orp_matches(record.orp_code, orp) for orp in self.orps), municipality
            return municipality is not None, municipality
        if kind == TerritoryKind.CZ_OBEC:
            if record.orp_code and self.orps and not _orp_matches(record.orp_code, self.orps[0]):
                return False, None
            return municipality is not None, municipality
        if kind == TerritoryKind.PL_GMINA:
            return municipality is not None, municipality
        if kind == TerritoryKind.PL_POWIAT:
            inside = record.powiat_code == code or record.municipality_code[:4] == code
            return inside or municipality is not None, municipality
        if kind == TerritoryKind.PL_WOJEWODZTWO:
            prefix = (record.powiat_code or record.municipality_code)[:2]
            return prefix == code or municipality is not None, municipality
        return False, None

    def where(self, record: RegisterRecord) -> str:
        """How the record describes its place, for the reason it was skipped."""
        parts = [record.municipality_name]
        if record.orp_code:
            parts.append(_("ORP %(orp)s") % {"orp": record.orp_code})
        parts.append(record.municipality_code or record.powiat_code)
        return ", ".join(p for p in parts if p) or _("no place given")


# --- comparing with the organisations already in Spolu --------------------------------------

_MISSING = object()


def _field_label(name: str) -> str:
    return str(Organisation._meta.get_field(name).verbose_name)


def _json_of_record(record: RegisterRecord, municipality: Territory | None) -> dict:
    """The values the register gives, in the JSON form kept in ``register_values``."""
    values = {}
    for name in IMPORTED_FIELDS:
        if name == "municipality":
            if municipality is not None:
                values[name] = municipality.pk
            continue
        value = getattr(record, name)
        if value is None:
            continue
        values[name] = _to_json(name, value)
    return values


def _to_json(name, value):
    if name in ("latitude", "longitude"):
        return None if value is None else str(Decimal(value).quantize(_COORDINATE))
    if name == "education_levels":
        return _ordered_levels(value or [])
    if name == "municipality":
        return value
    if name in ("pupils", "active"):
        return value
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


def _json_of_organisation(organisation: Organisation, name: str):
    if name == "municipality":
        return organisation.municipality_id
    return _to_json(name, getattr(organisation, name))


def _from_json(name, value):
    if name in ("latitude", "longitude"):
        return None if value is None else Decimal(value)
    return value


def _set(organisation: Organisation, name: str, value) -> None:
    if name == "municipality":
        organisation.municipality_id = value
    else:
        setattr(organisation, name, _from_json(name, value))


def _empty(value) -> bool:
    return value is None or value == "" or value == []


class _Display:
    """Turns JSON-form values into what a person reads (labels, municipality names)."""

    def __init__(self, territories: dict[int, Territory]):
        self.territories = territories

    def __call__(self, name, value) -> str:
        if value is None or value == "":
            return ""
        if name == "kind":
            return str(dict(OrganisationKind.choices).get(value, value))
        if name == "education_levels":
            labels = dict(EducationLevel.choices)
            return ", ".join(str(labels.get(v, v)) for v in value)
        if name == "municipality":
            territory = self.territories.get(value)
            return territory.name if territory else str(value)
        if name == "active":
            return _("yes") if value else _("no")
        return str(value)


def plan_import(territory: Territory, fileobj, format_code: str) -> ImportReport:
    """Read a register file and work out what importing it into the territory would do.

    Writes nothing. A file the parser rejects, or any malformed record within the territory,
    gives a report with ``usable`` False.
    """
    if format_code not in FORMATS:
        return ImportReport.unreadable(_("Unknown file format."), territory=territory)
    if territory.country != FORMAT_COUNTRY[format_code]:
        return ImportReport.unreadable(
            _("%(format)s cannot be imported into %(territory)s, which is in another country.")
            % {"format": FORMATS[format_code][0], "territory": territory.name},
            territory=territory,
            format_code=format_code,
        )
    report = ImportReport(territory=territory, format_code=format_code)
    area = _Area(territory)
    parser = FORMATS[format_code][1]
    inside: list[tuple[RegisterRecord, Territory | None]] = []
    seen: dict[str, int] = {}
    key_label = "RED_IZO" if format_code.startswith("cz") else _("RSPO number")

    unit = report.number_label

    def skip(record, code, reason):
        report.skipped.append(
            ReportItem(
                number=record.number,
                unit=unit,
                name=record.name,
                identifier=record.key,
                identifier_label=key_label,
                reason=reason,
                reason_code=code,
            )
        )

    last_number = object()
    try:
        for item in parser(fileobj):
            # A record yields one RegisterRecord, or one RecordProblem per malformed value.
            first_of_record = item.number != last_number
            last_number = item.number
            if first_of_record:
                report.records += 1
            if isinstance(item, RecordProblem):
                if item.record is not None and not area.place(item.record)[0]:
                    # Malformed, but plainly not ours: skipped like any record elsewhere.
                    if first_of_record:
                        skip(item.record, "outside", _outside(area, item.record))
                    continue
                item.unit = item.unit or unit
                report.problems.append(item)
                continue
            record = item
            if not record.key:
                skip(record, "no_identifier", _("The record has no %(id)s.") % {"id": key_label})
                continue
            is_inside, municipality = area.place(record)
            if not is_inside:
                skip(record, "outside", _outside(area, record))
                continue
            if not record.name:
                skip(record, "no_name", _("The record has no name."))
                continue
            if record.key in seen:
                skip(
                    record,
                    "duplicate",
                    _("The same %(id)s is already in %(what)s %(number)s of the file.")
                    % {"id": key_label, "what": report.number_label, "number": seen[record.key]},
                )
                continue
            seen[record.key] = record.number
            inside.append((record, municipality))
    except RegisterFileError as error:
        report.problems.append(RecordProblem(error.number, error.message, unit=_("line")))
    # Malformed records make the whole file unusable: see the module's docstring.
    report.usable = not report.problems
    if report.usable:
        with scope(territory=territory):
            _compare(report, inside, key_label)
    return report


def _outside(area: _Area, record: RegisterRecord) -> str:
    return _("Outside %(territory)s (%(place)s).") % {
        "territory": area.territory.name,
        "place": area.where(record),
    }


# The second identifier, which organisations entered by hand often have without the first:
# the register's key field → (field, label, the lengths it is padded to).
_SECOND_ID = {"red_izo": ("ico", _ICO, [8]), "rspo": ("regon", "REGON", [9, 14])}


def _normal_id(value, lengths) -> str:
    """An identifier as the parsers give it: no spaces, leading zeros put back."""
    text = "".join((value or "").split())
    if text.isascii() and text.isdigit():
        text = text.zfill(next((n for n in lengths if n >= len(text)), len(text)))
    return text


def _without_key(territory, key_field) -> dict[str, list[Organisation]]:
    """The territory's organisations without the register's key, by their second identifier."""
    second, _label, lengths = _SECOND_ID[key_field]
    found: dict[str, list[Organisation]] = {}
    for organisation in Organisation.objects.filter(territory=territory, **{key_field: ""}).exclude(
        **{second: ""}
    ):
        found.setdefault(_normal_id(getattr(organisation, second), lengths), []).append(
            organisation
        )
    return found


def _match(report: ImportReport, inside, key_field, key_label):
    """(record, municipality, organisation or None) for each record that is not skipped.

    By the register's key first; failing that, by IČO / REGON among the organisations that
    have no key (entered by hand), when exactly one has it and no other record claims it.
    """
    keys = [record.key for record, _m in inside]
    existing: dict[str, Organisation] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for organisation in Organisation.objects.filter(
            territory=report.territory, **{f"{key_field}__in": chunk}
        ):
            existing[getattr(organisation, key_field)] = organisation
    second, second_label, _lengths = _SECOND_ID[key_field]
    unkeyed = _without_key(report.territory, key_field)

    def candidates(record):
        if record.key in existing:
            return []
        value = getattr(record, second) or ""
        return unkeyed.get(value, []) if value else []

    claims: dict[int, int] = {}
    for record, _m in inside:
        found = candidates(record)
        if len(found) == 1:
            claims[found[0].pk] = claims.get(found[0].pk, 0) + 1

    matched = []
    for record, municipality in inside:
        organisation = existing.get(record.key)
        found = candidates(record)
        reason = ""
        if len(found) > 1:
            reason = _(
                "Several organisations have %(label)s %(value)s and no %(id)s; "
                "set the %(id)s on the right one."
            )
        elif found and claims[found[0].pk] > 1:
            reason = _(
                "Several records of the file have %(label)s %(value)s, like “%(name)s”; "
                "set the %(id)s on it by hand."
            )
        elif found:
            organisation = found[0]
        if reason:
            report.skipped.append(
                ReportItem(
                    number=record.number,
                    unit=report.number_label,
                    name=record.name,
                    identifier=record.key,
                    identifier_label=key_label,
                    reason=reason
                    % {
                        "label": second_label,
                        "value": getattr(record, second),
                        "id": key_label,
                        "name": found[0].name,
                    },
                    reason_code="ambiguous",
                )
            )
            continue
        matched.append((record, municipality, organisation))
    report.skipped.sort(key=lambda item: item.number or 0)
    return matched


def _compare(report: ImportReport, inside, key_label) -> None:
    key_field = "red_izo" if report.format_code.startswith("cz") else "rspo"
    matched = _match(report, inside, key_field, key_label)
    territory_ids = {m.pk for _r, m, _o in matched if m is not None}
    territory_ids |= {o.municipality_id for _r, _m, o in matched if o and o.municipality_id}
    display = _Display(Territory.objects.in_bulk(territory_ids))

    for record, municipality, organisation in matched:
        new = _json_of_record(record, municipality)
        item = ReportItem(
            number=record.number,
            unit=report.number_label,
            name=record.name,
            identifier=record.key,
            identifier_label=key_label,
            kind_label=display("kind", record.kind),
        )
        if organisation is None:
            item.values = new
            item.register_values = new
            report.created.append(item)
            continue
        item.organisation_id = organisation.pk
        item.name = organisation.name
        remembered = organisation.register_values or {}
        item.register_values = {**remembered, **new}
        for name, value in new.items():
            current = _json_of_organisation(organisation, name)
            if value == current:
                continue
            last = remembered.get(name, _MISSING)
            if last is _MISSING:
                if _empty(current):
                    action = "update"
                elif _empty(value):
                    action = None  # the register has nothing; keep what a user entered
                else:
                    action = "conflict"
            elif current == last:
                action = "update"
            else:  # a user changed this field by hand
                action = None if value == last else "conflict"
            row = (_field_label(name), display(name, current), display(name, value))
            if action == "update":
                item.values[name] = value
                item.expected[name] = current
                item.changes.append(row)
            elif action == "conflict":
                item.conflicts.append(row)
        if item.conflicts:
            report.conflicts.append(item)
        elif item.changes:
            report.updated.append(item)
        else:
            report.unchanged.append(item)


def apply_import(report: ImportReport, *, acting_user) -> ImportReport:
    """Write a planned import: create and update the organisations, in one transaction.

    Values a user edited by hand stay (they were reported as conflicts); every imported field's
    register value is remembered, so importing the same file again changes nothing.
    """
    if not report.usable or report.territory is None or report.format_code not in FORMATS:
        raise ValueError("This import report is not usable; nothing may be written.")
    territory = report.territory
    source = _SOURCE[FORMAT_COUNTRY[report.format_code]]
    key_field = "red_izo" if report.format_code.startswith("cz") else "rspo"
    with transaction.atomic(), scope(territory=territory), acting_as(acting_user):
        taken = set(
            Organisation.objects.filter(
                territory=territory,
                **{f"{key_field}__in": [item.identifier for item in report.created]},
            ).values_list(key_field, flat=True)
        )
        for item in report.created:
            if item.identifier in taken:  # created by someone since the preview
                continue
            organisation = Organisation(
                territory=territory, source=source, register_values=item.register_values
            )
            for name, value in item.values.items():
                _set(organisation, name, value)
            organisation.save()
            item.organisation_id = organisation.pk

        items = report.updated + report.conflicts + report.unchanged
        organisations = Organisation.objects.select_for_update().in_bulk(
            [item.organisation_id for item in items]
        )
        # An organisation matched by IČO / REGON gets the key, unless another one has it now.
        filled = [item.values[key_field] for item in items if key_field in item.values]
        holders = dict(
            Organisation.objects.filter(
                territory=territory, **{f"{key_field}__in": filled}
            ).values_list(key_field, "pk")
        )
        for item in items:
            organisation = organisations.get(item.organisation_id)
            if organisation is None:
                continue
            key = item.values.get(key_field)
            if key is not None and holders.get(key, organisation.pk) != organisation.pk:
                continue
            changed = []
            for name, value in item.values.items():
                # A value edited since the preview is left alone.
                if _json_of_organisation(organisation, name) != item.expected.get(name):
                    continue
                _set(organisation, name, value)
                changed.append(name)
            if organisation.register_values != item.register_values:
                organisation.register_values = item.register_values
                changed.append("register_values")
            if changed and organisation.source == Source.MANUAL:
                organisation.source = source
                changed.append("source")
            if changed:
                organisation.save(update_fields=changed)
    report.applied = True
    return report
