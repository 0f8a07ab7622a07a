"""The contact directory outside Spolu: spreadsheet export and import of people, and vCards."""

import csv
import datetime
import io
import itertools
import re
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import formats, translation
from django.utils.http import content_disposition_header
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from spolu.core.exports import ListExporter, unescape_formula
from spolu.core.fields import fold
from spolu.core.imports import FileProblem, read_upload

from .models import Organisation, Person, Position


def _title(model, field_name):
    """A column title from the field's verbose name, so forms and files say the same."""
    return capfirst(model._meta.get_field(field_name).verbose_name)


# Export ------------------------------------------------------------------------------------


class PeopleExporter(ListExporter):
    """The territory's directory of people; the caller passes a queryset already restricted."""

    name = Person._meta.verbose_name_plural
    headers = [
        _title(Person, "full_name"),
        _title(Person, "position"),
        _title(Person, "position_note"),
        _title(Person, "organisations"),
        _title(Person, "email"),
        _title(Person, "phone"),
        _title(Person, "has_left"),
    ]

    def __init__(self, queryset):
        # Two queries whatever the number of people: the people, then their organisations.
        self.queryset = queryset.prefetch_related("organisations")

    def rows(self):
        for person in self.queryset:
            yield [
                person.full_name,
                person.get_position_display(),
                person.position_note,
                [organisation.name for organisation in person.organisations.all()],
                person.email,
                person.phone,
                person.has_left,
            ]


ORGANISATION_EXPORT_FIELDS = [
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
    "web",
    "email",
    "phone",
    "education_levels",
    "pupils",
    "active",
]


class OrganisationExporter(ListExporter):
    """The territory's organisations with their identifiers and contacts."""

    name = Organisation._meta.verbose_name_plural
    headers = [_title(Organisation, name) for name in ORGANISATION_EXPORT_FIELDS]

    def __init__(self, queryset):
        self.queryset = queryset.select_related("municipality")

    def rows(self):
        for organisation in self.queryset:
            yield [
                organisation.name,
                organisation.short_name,
                organisation.get_kind_display(),
                organisation.ico,
                organisation.red_izo,
                organisation.izo,
                organisation.regon,
                organisation.rspo,
                organisation.founder,
                organisation.address,
                organisation.municipality.name if organisation.municipality else "",
                organisation.web,
                organisation.email,
                organisation.phone,
                organisation.education_level_labels,
                organisation.pupils,
                organisation.active,
            ]


# vCard -------------------------------------------------------------------------------------

VCARD_LINE_OCTETS = 75
# Academic titles written without a full stop (Polish usage); others are recognised by it.
TITLE_WORDS = {"dr", "mgr", "inz", "hab", "prof", "lic", "bc", "ing", "doc"}


def _vcard_text(value: str) -> str:
    """Escape a text value (RFC 6350 3.4, the same in RFC 2426 for vCard 3.0)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return re.sub(r"\r\n|\r|\n", lambda _match: "\\n", value)


def _fold_vcard_line(line: str) -> str:
    """Fold a content line at 75 octets without cutting a UTF-8 character in two."""
    lines, current, size = [], [], 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > VCARD_LINE_OCTETS:
            lines.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    lines.append("".join(current))
    return "\r\n".join(lines)


def _is_title(word: str) -> bool:
    return (len(word) > 2 and word.endswith(".")) or fold(word).rstrip(".") in TITLE_WORDS


def _name_parts(full_name: str) -> tuple[str, str, str, str]:
    """(family, given, prefixes, suffixes) of "Mgr. Jana Nová, Ph.D." for the N property."""
    main, _comma, suffixes = full_name.partition(",")
    words = main.split()
    prefixes, trailing = [], []
    while len(words) > 1 and _is_title(words[0]):
        prefixes.append(words.pop(0))
    while len(words) > 1 and _is_title(words[-1]):
        trailing.insert(0, words.pop())
    family = words[-1] if words else ""
    given = " ".join(words[:-1])
    suffix = " ".join([*trailing, suffixes.strip()]).strip()
    return family, given, " ".join(prefixes), suffix


def person_vcard(person) -> str:
    """A vCard 3.0 of the person, for address books (CRLF lines, folded at 75 octets)."""
    family, given, prefixes, suffixes = _name_parts(person.full_name)
    organisations = list(person.organisations.all())
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "N:" + ";".join(_vcard_text(part) for part in (family, given, "", prefixes, suffixes)),
        "FN:" + _vcard_text(person.full_name),
    ]
    if organisations:
        lines.append("ORG:" + _vcard_text(organisations[0].name))
    lines.append("TITLE:" + _vcard_text(str(person.get_position_display())))
    if person.email:
        lines.append("EMAIL;TYPE=INTERNET:" + _vcard_text(person.email))
    if person.phone:
        lines.append("TEL;TYPE=WORK,VOICE:" + _vcard_text(person.phone))
    if person.has_left:
        if person.left_on:
            note = _("Left the position on %(date)s.") % {
                "date": formats.date_format(person.left_on)
            }
        else:
            note = _("Has left the position.")
        lines.append("NOTE:" + _vcard_text(str(note)))
    lines.append("END:VCARD")
    return "".join(_fold_vcard_line(line) + "\r\n" for line in lines)


def vcard_response(person) -> HttpResponse:
    response = HttpResponse(person_vcard(person), content_type="text/vcard; charset=utf-8")
    filename = (slugify(person.full_name) or "contact") + ".vcf"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


# Import ------------------------------------------------------------------------------------

# The same limit as the upload form of the people import view.
MAX_IMPORT_ROWS = 5000
# The header may sit below a title or a blank row or two.
HEADER_SEARCH_ROWS = 10
MAX_EMPTY_RUN = 1000

# Column titles recognised besides the fields' own verbose names in every UI language.
# Compared after `_match_key`, so case, diacritics, spaces and punctuation do not matter.
HEADER_SYNONYMS = {
    "full_name": [
        "name",
        "full name",
        "jméno",
        "jméno a příjmení",
        "celé jméno",
        "imię i nazwisko",
        "imię nazwisko",
    ],
    "first_name": ["first name", "given name", "křestní jméno", "imię"],
    "last_name": ["surname", "last name", "family name", "příjmení", "nazwisko"],
    "position": ["position", "pozice", "pracovní pozice", "funkce", "stanowisko", "function"],
    "position_note": ["position details", "job title", "upřesnění funkce", "upřesnění pozice"],
    "organisation": [
        "organisation",
        "organization",
        "organisations",
        "organizations",
        "organizace",
        "organizacja",
        "organizacje",
        "instituce",
        "instytucja",
        "škola",
        "szkoła",
        "school",
    ],
    "ico": ["ičo", "ič", "ico"],
    "regon": ["regon"],
    "rspo": ["rspo", "rspo number", "číslo rspo", "numer rspo"],
    "email": ["email", "e-mail", "mail", "e-mailová adresa", "adres e-mail", "email address"],
    "phone": [
        "phone",
        "telephone",
        "tel",
        "telefon",
        "telefonní číslo",
        "číslo telefonu",
        "numer telefonu",
        "mobil",
        "mobile",
    ],
}
HEADER_FIELDS = {
    "full_name": (Person, "full_name"),
    "position": (Person, "position"),
    "position_note": (Person, "position_note"),
    "organisation": (Person, "organisations"),
    "ico": (Organisation, "ico"),
    "regon": (Organisation, "regon"),
    "rspo": (Organisation, "rspo"),
    "email": (Person, "email"),
    "phone": (Person, "phone"),
}
# When a row names its organisation by several identifiers, the most specific one decides.
IDENTIFIER_COLUMNS = ("rspo", "regon", "ico")
PERSON_FIELDS = ("full_name", "position", "position_note", "email", "phone")

UNREADABLE = _("The file could not be read. Save it as XLSX or CSV and upload it again.")


def _match_key(text) -> str:
    """The same key for "Jméno a příjmení", "JMENO A PRIJMENI:" and "jmeno_a_prijmeni"."""
    return re.sub(r"[^0-9a-z]", "", fold(str(text)))


@dataclass
class ImportIssue:
    """A problem found in the file: `line` as the spreadsheet numbers rows (None: the file)."""

    line: int | None
    column: str
    message: str


@dataclass
class PersonRow:
    """One row of the file that passed the checks, and what it will do."""

    line: int
    values: dict
    organisations: list = field(default_factory=list)
    person: Person | None = None
    # Field name → (old, new), both as shown to the user; only for existing people.
    changes: dict = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return self.values.get("full_name") or (self.person.full_name if self.person else "")

    @property
    def changed_fields(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) for each change, ready for the preview table."""
        return [
            (capfirst(Person._meta.get_field(name).verbose_name), old, new)
            for name, (old, new) in self.changes.items()
        ]

    @property
    def new_organisations(self) -> list:
        linked = {o.pk for o in self.person.organisations.all()} if self.person else set()
        return [o for o in self.organisations if o.pk not in linked]


@dataclass
class PeopleImportPreview:
    """What importing a file would do; built again from the file when the user confirms."""

    territory: object
    to_create: list[PersonRow] = field(default_factory=list)
    to_update: list[PersonRow] = field(default_factory=list)
    unchanged: list[PersonRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def parse_people_file(uploaded_file, *, territory) -> PeopleImportPreview:
    """Read an XLSX or CSV list of people and check every row against the directory.

    Nothing is written. An empty cell never clears a stored value. People are matched by
    e-mail, or by name when the row has no e-mail.
    """
    preview = PeopleImportPreview(territory=territory)
    try:
        rows = _read_table(read_upload(uploaded_file))
        header_index, columns = _find_header(rows)
        data_rows = [
            (line, row)
            for line, row in enumerate(rows[header_index + 1 :], start=header_index + 2)
            if not _is_empty(row)
        ]
        if not data_rows:
            raise FileProblem(_("The file has no rows below the header."))
        if len(data_rows) > MAX_IMPORT_ROWS:
            raise FileProblem(
                _("The file has more than %(count)s rows; split it into smaller files.")
                % {"count": MAX_IMPORT_ROWS}
            )
    except FileProblem as problem:
        preview.errors.append(ImportIssue(None, "", str(problem.message)))
        return preview
    with scope(territory=territory):
        checker = _RowChecker(territory, columns)
        for line, row in data_rows:
            checker.check(line, row, preview)
    return preview


@transaction.atomic
def do_import_people(preview: PeopleImportPreview, *, acting_user) -> dict:
    """Create and update the people of a valid preview; links to organisations are only added.

    Returns the number of people created, updated and left unchanged.
    """
    if not preview.is_valid:
        raise ValueError("Refusing to import a file with errors.")
    with scope(territory=preview.territory):
        for row in preview.to_create:
            person = Person(territory=preview.territory, **row.values)
            person.save()
            if row.organisations:
                person.organisations.add(*row.organisations)
        for row in preview.to_update:
            person = row.person
            new_organisations = row.new_organisations
            changed = [name for name in row.changes if name != "organisations"]
            for name in changed:
                setattr(person, name, row.values[name])
            if changed:
                person.save(update_fields=[*changed, "updated"])
            if new_organisations:
                person.organisations.add(*new_organisations)
    return {
        "created": len(preview.to_create),
        "updated": len(preview.to_update),
        "unchanged": len(preview.unchanged),
    }


# Reading the file


def _read_table(data: bytes) -> list[list]:
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> list[list]:
    # A damaged or foreign file can make openpyxl raise almost anything; all mean "unreadable".
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise FileProblem(UNREADABLE) from error
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong used range, which read-only mode would trust.
        sheet.reset_dimensions()
        return _take_rows(sheet.iter_rows(values_only=True))
    except Exception as error:
        raise FileProblem(UNREADABLE) from error
    finally:
        workbook.close()


def _read_csv(data: bytes) -> list[list]:
    text = _decode(data)
    candidates = []
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
        candidates.append(sniffed)
    except csv.Error:
        pass
    candidates += [",", ";", "\t"]
    # Sniffing alone misreads "Novák, Jan;…" as comma-separated: the delimiter that yields
    # the most recognised column titles wins, the sniffed one on a tie.
    try:
        delimiter = max(
            candidates,
            key=lambda d: len(_header_in(_csv_rows(text, d, HEADER_SEARCH_ROWS))[1]),
        )
        return _take_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise FileProblem(UNREADABLE) from error


def _csv_rows(text: str, delimiter: str, limit: int) -> list[list]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return list(itertools.islice(reader, limit))


def _take_rows(rows) -> list[list]:
    """The rows of the file, stopping one past the most that can be imported.

    A long run of empty rows ends the table: spreadsheets keep formatted empty rows down to
    row 1,048,576, which would otherwise all be read.
    """
    taken, filled, empty_run = [], 0, 0
    for row in rows:
        row = list(row)
        if not _is_empty(row):
            filled, empty_run = filled + 1, 0
        else:
            empty_run += 1
            if empty_run > MAX_EMPTY_RUN:
                break
        taken.append(row)
        if filled > HEADER_SEARCH_ROWS + MAX_IMPORT_ROWS:
            break
    return taken


def _is_empty(row) -> bool:
    return not any(str(value if value is not None else "").strip() for value in row)


def _decode(data: bytes) -> str:
    """The text of a CSV file; bytes that decode in none of the accepted ways make the whole
    file unreadable (a file-level problem, never an exception)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export.
        encodings = ["utf-16"]
    elif b"\x00" in data[:4096]:
        raise FileProblem(UNREADABLE)
    else:
        # UTF-8, then what Czech and Polish Windows Excel writes as "CSV".
        encodings = ["utf-8-sig", "cp1250"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeError:
            continue
    raise FileProblem(UNREADABLE)


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for key, synonyms in HEADER_SYNONYMS.items():
        for synonym in synonyms:
            lookup.setdefault(_match_key(synonym), key)
    # The titles Spolu's own export writes, in every language, so an export re-imports.
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for key, (model, name) in HEADER_FIELDS.items():
                lookup.setdefault(_match_key(model._meta.get_field(name).verbose_name), key)
    return lookup


def _header_in(rows) -> tuple[int, dict]:
    """(row index, {key: (column index, title)}) of the first row that names people."""
    lookup = _header_lookup()
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {}
        for position, title in enumerate(row):
            key = lookup.get(_match_key(title or ""))
            if key and key not in columns:
                columns[key] = (position, str(title).strip())
        if "full_name" in columns or "last_name" in columns:
            return index, columns
    return -1, {}


def _find_header(rows) -> tuple[int, dict]:
    index, columns = _header_in(rows)
    if index < 0:
        raise FileProblem(
            _(
                "No column with people's names was found. Give the column a title such as "
                "“Name”, “Jméno” or “Imię i nazwisko”."
            )
        )
    if "last_name" in columns:
        # "Jméno" next to "Příjmení" is the first name, as in most school lists.
        if "first_name" not in columns and "full_name" in columns:
            columns["first_name"] = columns.pop("full_name")
        columns.pop("full_name", None)
    else:
        # A first name alone is not a name; "Imię" without "Nazwisko" is not read.
        columns.pop("first_name", None)
    return index, columns


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A phone number or an identifier typed as a number.
        value = int(value)
    elif isinstance(value, datetime.date):
        value = value.isoformat()
    return unescape_formula(str(value).strip())


def _pad_identifier(key: str, value: str) -> str:
    # Spreadsheets drop leading zeros of identifiers stored as numbers.
    value = re.sub(r"\s", "", value)
    if not value.isdigit():
        return value
    if key == "ico":
        return value.zfill(8)
    if key == "regon":
        return value.zfill(9) if len(value) <= 9 else value.zfill(14)
    return value


# Checking the rows


class _RowChecker:
    """Checks rows against the directory as it is, in three queries whatever the file's size."""

    def __init__(self, territory, columns):
        self.columns = columns
        self.positions = self._position_lookup()
        organisations = list(
            Organisation.objects.filter(territory=territory).only(
                "id", "name", "short_name", "ico", "regon", "rspo"
            )
        )
        self.organisations_by_name = _index(
            organisations, lambda o: {_match_key(o.name), _match_key(o.short_name)} - {""}
        )
        self.organisations_by_id = {
            key: _index(
                organisations, lambda o, key=key: {_pad_identifier(key, getattr(o, key))} - {""}
            )
            for key in IDENTIFIER_COLUMNS
        }
        people = list(Person.objects.filter(territory=territory).prefetch_related("organisations"))
        self.people_by_email = _index(people, lambda p: {p.email.lower()} - {""})
        self.people_by_name = _index(people, lambda p: {_match_key(p.full_name)} - {""})
        # Who each earlier row of the file was, to refuse the same person twice.
        self.seen = {}

    @staticmethod
    def _position_lookup() -> dict[str, str]:
        lookup = {}
        for code, label in Position.choices:
            lookup[_match_key(code)] = code
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    lookup.setdefault(_match_key(label), code)
        return lookup

    def cell(self, row, key) -> str:
        if key not in self.columns:
            return ""
        position = self.columns[key][0]
        return _cell_text(row[position]) if position < len(row) else ""

    def title(self, key) -> str:
        return self.columns[key][1] if key in self.columns else ""

    def check(self, line, row, preview):
        errors = []

        def error(key, message):
            errors.append(ImportIssue(line, self.title(key), str(message)))

        values = {}
        name_key = "full_name" if "full_name" in self.columns else "last_name"
        parts = [self.cell(row, key) for key in ("full_name", "first_name", "last_name")]
        full_name = " ".join(" ".join(parts).split())
        if not full_name:
            error(name_key, _("A name is required."))
        else:
            self._clean(values, "full_name", full_name, name_key, error)
        email = self.cell(row, "email")
        if email:
            self._clean(values, "email", email, "email", error)
        for key in ("phone", "position_note"):
            if text := self.cell(row, key):
                self._clean(values, key, text, key, error)
        if position := self.cell(row, "position"):
            if code := self.positions.get(_match_key(position)):
                values["position"] = code
            else:
                error(
                    "position",
                    _("Unknown position “%(value)s”. Use one of: %(choices)s.")
                    % {"value": position, "choices": ", ".join(str(p.label) for p in Position)},
                )
        organisations = self._organisations(row, error)
        person = self._existing_person(email, values, full_name, name_key, error)
        if errors:
            preview.errors.extend(errors)
            return
        identity = (
            ("person", person.pk)
            if person
            else ("email", email.lower())
            if email
            else ("name", _match_key(full_name))
        )
        if identity in self.seen:
            key = "email" if email else name_key
            preview.errors.append(
                ImportIssue(
                    line,
                    self.title(key),
                    str(
                        _("This person is already on line %(line)s.")
                        % {"line": self.seen[identity]}
                    ),
                )
            )
            return
        self.seen[identity] = line
        result = PersonRow(line=line, values=values, organisations=organisations, person=person)
        if person is None:
            values.setdefault("position", Position.OTHER)
            preview.to_create.append(result)
            return
        result.changes = _changes(person, values, result.new_organisations)
        (preview.to_update if result.changes else preview.unchanged).append(result)

    def _clean(self, values, name, text, key, error):
        try:
            values[name] = Person._meta.get_field(name).clean(text, None)
        except ValidationError as problem:
            for message in problem.messages:
                error(key, message)

    def _organisations(self, row, error) -> list:
        for key in IDENTIFIER_COLUMNS:
            if value := self.cell(row, key):
                return self._match(
                    self.organisations_by_id[key].get(_pad_identifier(key, value), []),
                    key,
                    value,
                    error,
                )
        found = []
        for part in re.split(r"[;\n]", self.cell(row, "organisation")):
            if part.strip():
                found += self._match(
                    self.organisations_by_name.get(_match_key(part), []),
                    "organisation",
                    part.strip(),
                    error,
                )
        return list(dict.fromkeys(found))

    def _match(self, matches, key, value, error) -> list:
        if len(matches) == 1:
            return matches
        if matches:
            error(
                key,
                _(
                    "Several organisations match “%(value)s”; add a column with their IČO, "
                    "REGON or RSPO number to tell them apart."
                )
                % {"value": value},
            )
        else:
            error(
                key,
                _("No organisation “%(value)s” is in this territory's directory.")
                % {"value": value},
            )
        return []

    def _existing_person(self, email, values, full_name, name_key, error):
        if email:
            # An invalid e-mail has its error already; two stored people sharing an e-mail:
            # the first is updated, as a person would do by hand.
            matches = self.people_by_email.get(values.get("email", "").lower(), [])
            return matches[0] if matches else None
        if not full_name:
            return None
        matches = self.people_by_name.get(_match_key(full_name), [])
        if len(matches) > 1:
            error(
                name_key,
                _(
                    "Several people called “%(name)s” are in the directory; add their e-mail "
                    "to tell them apart."
                )
                % {"name": full_name},
            )
            return None
        return matches[0] if matches else None


def _index(objects, keys_of) -> dict[str, list]:
    index = {}
    for obj in objects:
        for key in keys_of(obj):
            index.setdefault(key, []).append(obj)
    return index


def _changes(person, values, new_organisations) -> dict:
    changes = {}
    for name in PERSON_FIELDS:
        if name not in values:
            continue
        old, new = getattr(person, name), values[name]
        if name == "email" and old.lower() == new.lower():
            continue
        if old != new:
            if name == "position":
                labels = dict(Position.choices)
                old, new = labels.get(old, old), labels.get(new, new)
            changes[name] = (str(old), str(new))
    if new_organisations:
        linked = [o.name for o in person.organisations.all()]
        changes["organisations"] = (
            "; ".join(linked),
            "; ".join([*linked, *(o.name for o in new_organisations)]),
        )
    return changes
