"""A plan in files: the goals-and-measures workbook to fill in and import, and the exports.

The workbook (`plan_template_xlsx`) holds the plan's goals and measures as they are, so that
a coordinator can edit them in a spreadsheet and import the file back (`parse_plan_file`,
then `do_import_plan`): rows are matched by code within the plan, nothing is deleted.
The exports (`plan_xlsx`, `plan_pdf`, `plan_docx`, `TasksExporter`) show the whole plan and
read it in a fixed number of queries whatever its size.
"""

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

import docx
import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import scope
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from spolu.actors.models import EducationLevel, Organisation, Person
from spolu.core.documents import html_to_pdf
from spolu.core.exports import ListExporter, escape_formula, unescape_formula
from spolu.core.fields import fold
from spolu.core.imports import FileProblem, read_upload

from .models import (
    Currency,
    FundingSource,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    Plan,
    PlanStatus,
    ProgressUpdate,
    TargetGroup,
    Task,
)
from .risk import measures_with_risk, risk_reasons
from .services import do_save_goal, do_save_measure


def _title(model, field_name):
    """A column title from the field's verbose name, so forms and files say the same."""
    return capfirst(model._meta.get_field(field_name).verbose_name)


# The workbook's columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the import workbook: `key` is the model field it fills."""

    key: str
    title: Promise
    width: int = 16


GOAL_COLUMNS = [
    Column("code", _title(Goal, "code"), 10),
    Column("title", _title(Goal, "title"), 50),
    Column("description", _title(Goal, "description"), 60),
]
MEASURE_COLUMNS = [
    Column("goal", _("Goal code"), 10),
    Column("code", _title(Measure, "code"), 10),
    Column("title", _title(Measure, "title"), 50),
    Column("description", _title(Measure, "description"), 60),
    Column("lead_implementer", _title(Measure, "lead_implementer"), 30),
    Column("partners", _title(Measure, "partners"), 40),
    Column("responsible", _title(Measure, "responsible"), 24),
    Column("start", _title(Measure, "start"), 12),
    Column("end", _title(Measure, "end"), 12),
    Column("status", _title(Measure, "status"), 16),
    Column("budget_amount", _title(Measure, "budget_amount"), 14),
    Column("budget_currency", _title(Measure, "budget_currency"), 10),
    Column("funding_source", _title(Measure, "funding_source"), 20),
    Column("funding_note", _title(Measure, "funding_note"), 30),
    Column("education_levels", _title(Measure, "education_levels"), 30),
    Column("target_groups", _title(Measure, "target_groups"), 30),
]
REQUIRED_COLUMNS = {"goals": ("code", "title"), "measures": ("goal", "code", "title")}

GOALS_SHEET = capfirst(Goal._meta.verbose_name_plural)
MEASURES_SHEET = capfirst(Measure._meta.verbose_name_plural)
INSTRUCTIONS_SHEET = _("Instructions")

# Choice fields of a measure and the values they accept (codes or labels in any language).
CHOICES = {
    "status": MeasureStatus,
    "budget_currency": Currency,
    "funding_source": FundingSource,
    "education_levels": EducationLevel,
    "target_groups": TargetGroup,
}
MULTIPLE_CHOICE_FIELDS = ("education_levels", "target_groups")
# Cells holding several values (partners, levels, groups) separate them with ";".
LIST_SEPARATOR = "; "
# How far down the template's drop-down lists reach, below the rows already filled in.
TEMPLATE_SPARE_ROWS = 500

INSTRUCTIONS = [
    _(
        "One row per goal on the “%(goals)s” sheet and one row per measure on the "
        "“%(measures)s” sheet. The first row holds the column titles; keep them."
    ),
    _(
        "Rows are matched by their code within the plan: a code the plan already has updates "
        "that goal or measure, a new code adds one. Goals and measures missing from the file "
        "are left as they are; nothing is deleted."
    ),
    _(
        "An empty cell clears the value, except the status, which then stays as it is (new "
        "measures start as planned). A column removed from the sheet leaves its values alone."
    ),
    _(
        "Write organisations by name, short name or identifier (IČO, RED_IZO, REGON, RSPO) as "
        "they are in the territory's directory; separate several partners with “;”. Write "
        "people by full name or e-mail."
    ),
    _(
        "Write dates as dates, or as text in the form YYYY-MM-DD or D.M.YYYY; they must lie "
        "within the plan's period (%(start)s – %(end)s)."
    ),
    _(
        "Write the budget as a number, without the currency. Write the choices below by "
        "their code or their label; separate several education levels or target groups "
        "with “;”."
    ),
]

# Limits of the import, as in the people import.
MAX_IMPORT_ROWS = 5000
HEADER_SEARCH_ROWS = 10
MAX_EMPTY_RUN = 1000

UNREADABLE = _("The file could not be read. Save it as XLSX and upload it again.")
CLOSED = _("The plan is closed; start the next period's plan instead.")
REQUIRED = _("This cell must not be empty.")


def _match_key(text) -> str:
    """The same key for "Základní škola", "ZAKLADNI SKOLA" and "zakladni-skola"."""
    return re.sub(r"[^0-9a-z]", "", fold(str(text)))


def _identifier_key(text) -> str:
    # Spreadsheets drop the leading zeros of identifiers typed as numbers.
    digits = re.sub(r"\s", "", str(text))
    return "#" + digits.lstrip("0") if digits.isdigit() else ""


def _sheet_title(text) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet title.
    title = "".join(ch for ch in str(text) if ch not in "[]:*?/\\").strip()
    return title[:31] or "Sheet"


def _in_every_language(text) -> set[str]:
    keys = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            keys.add(_match_key(_sheet_title(text)))
    return keys


# Formatting values for people --------------------------------------------------------------


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _number(value) -> str:
    """A measured value for people: "78,5", "1 200" (trailing zeros of the column dropped)."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()
    return formats.number_format(value, force_grouping=True)


def _money(value) -> str:
    if value is None:
        return ""
    places = 0 if value == value.to_integral_value() else 2
    return formats.number_format(value, decimal_pos=places, force_grouping=True)


def _period(start, end) -> str:
    if not start and not end:
        return ""
    return f"{_date(start) or '…'} – {_date(end) or '…'}"


def _labels(choices, codes) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(code, code)) for code in codes]


def _label(choices, code) -> str:
    return str(dict(choices.choices).get(code, code)) if code else ""


def _names(objects) -> str:
    return LIST_SEPARATOR.join(o.name if isinstance(o, Organisation) else str(o) for o in objects)


# The directory, for writing and reading organisations and people ------------------------------


class _Directory:
    """The territory's organisations and people, indexed for matching, in two queries."""

    def __init__(self, territory):
        self.organisations = list(
            Organisation.objects.filter(territory=territory).only(
                "id", "territory_id", "name", "short_name", "ico", "red_izo", "regon", "rspo"
            )
        )
        self.people = list(
            Person.objects.filter(territory=territory).only(
                "id", "territory_id", "full_name", "email"
            )
        )
        self.organisation_index = _index(self.organisations, self._organisation_keys)
        self.person_index = _index(self.people, self._person_keys)

    @staticmethod
    def _organisation_keys(organisation) -> set[str]:
        identifiers = (
            organisation.ico,
            organisation.red_izo,
            organisation.regon,
            organisation.rspo,
        )
        keys = {_match_key(organisation.name), _match_key(organisation.short_name)}
        keys |= {_identifier_key(value) for value in identifiers}
        return keys - {"", "#"}

    @staticmethod
    def _person_keys(person) -> set[str]:
        return {_match_key(person.full_name), person.email.lower()} - {""}

    def _find(self, index, text) -> list:
        found = index.get(_match_key(text), []) + index.get(_identifier_key(text), [])
        if "@" in text:
            found += index.get(text.lower(), [])
        return list({o.pk: o for o in found}.values())

    def organisations_matching(self, text) -> list:
        return self._find(self.organisation_index, text)

    def people_matching(self, text) -> list:
        return self._find(self.person_index, text)

    def organisation_label(self, organisation) -> str:
        """The name, or an identifier when several organisations share the name."""
        if len(self.organisations_matching(organisation.name)) <= 1:
            return organisation.name
        for value in (
            organisation.rspo,
            organisation.red_izo,
            organisation.regon,
            organisation.ico,
        ):
            if value and len(self.organisations_matching(value)) == 1:
                return value
        return organisation.name

    def person_label(self, person) -> str:
        if len(self.people_matching(person.full_name)) > 1 and person.email:
            return person.email
        return person.full_name


def _index(objects, keys_of) -> dict[str, list]:
    index = {}
    for obj in objects:
        for key in keys_of(obj):
            index.setdefault(key, []).append(obj)
    return index


# The template workbook ----------------------------------------------------------------------


def plan_template_xlsx(plan: Plan) -> bytes:
    """The plan's goals and measures as a workbook to edit and import back.

    Importing it unchanged changes nothing. Five queries whatever the plan's size.
    """
    with scope(territory=plan.territory_id):
        directory = _Directory(plan.territory_id)
        goals = list(Goal.objects.filter(plan=plan).order_by("code"))
        measures = list(
            Measure.objects.filter(plan=plan)
            .select_related("goal")
            .prefetch_related("partners")
            .order_by("goal__code", "code")
        )
    organisations = {o.pk: o for o in directory.organisations}
    people = {p.pk: p for p in directory.people}

    workbook = openpyxl.Workbook()
    goal_sheet = workbook.active
    goal_sheet.title = _sheet_title(GOALS_SHEET)
    measure_sheet = workbook.create_sheet(_sheet_title(MEASURES_SHEET))
    instructions = workbook.create_sheet(_sheet_title(INSTRUCTIONS_SHEET))

    _start_sheet(goal_sheet, GOAL_COLUMNS)
    for goal in goals:
        goal_sheet.append(
            [_text_cell(goal.code), _text_cell(goal.title), _text_cell(goal.description)]
        )

    _start_sheet(measure_sheet, MEASURE_COLUMNS)
    for measure in measures:
        lead = organisations.get(measure.lead_implementer_id)
        responsible = people.get(measure.responsible_id)
        partners = [directory.organisation_label(o) for o in measure.partners.all()]
        measure_sheet.append(
            [
                _text_cell(measure.goal.code),
                _text_cell(measure.code),
                _text_cell(measure.title),
                _text_cell(measure.description),
                _text_cell(directory.organisation_label(lead) if lead else ""),
                _text_cell(LIST_SEPARATOR.join(partners)),
                _text_cell(directory.person_label(responsible) if responsible else ""),
                measure.start,
                measure.end,
                _label(MeasureStatus, measure.status),
                measure.budget_amount,
                measure.budget_currency or None,
                _label(FundingSource, measure.funding_source) or None,
                _text_cell(measure.funding_note),
                LIST_SEPARATOR.join(_labels(EducationLevel, measure.education_levels)) or None,
                LIST_SEPARATOR.join(_labels(TargetGroup, measure.target_groups)) or None,
            ]
        )
    _format_measure_sheet(measure_sheet)

    label_ranges = _write_instructions(instructions, plan)
    last_row = max(len(measures), len(goals)) + 1 + TEMPLATE_SPARE_ROWS
    goal_codes = f"{quote_sheetname(goal_sheet.title)}!$A$2:$A${last_row}"
    _add_list(measure_sheet, "goal", goal_codes, last_row)
    for key in ("status", "budget_currency", "funding_source"):
        _add_list(measure_sheet, key, label_ranges[key], last_row)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(value):
    if not value:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", escape_formula(str(value)))


def _start_sheet(sheet, columns) -> None:
    bold = Font(bold=True)
    sheet.append([str(column.title) for column in columns])
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = bold
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.key in ("code", "goal"):
            # "1.10" typed into a General cell would become the number 1.1.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"


def _format_measure_sheet(sheet) -> None:
    keys = [column.key for column in MEASURE_COLUMNS]
    date_columns = {keys.index("start") + 1, keys.index("end") + 1}
    budget_column = keys.index("budget_amount") + 1
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in date_columns:
                cell.number_format = "yyyy-mm-dd"
            elif cell.column == budget_column:
                cell.number_format = "#,##0.00"
            elif cell.column in (1, 2):
                cell.number_format = "@"


def _add_list(sheet, key, formula, last_row) -> None:
    column = get_column_letter([c.key for c in MEASURE_COLUMNS].index(key) + 1)
    # A warning, not a refusal: a code instead of the label is fine too.
    validation = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        error=str(_("Choose a value from the list, or write its code.")),
    )
    sheet.add_data_validation(validation)
    validation.add(f"{column}2:{column}{last_row}")


def _write_instructions(sheet, plan) -> dict[str, str]:
    """Write how to fill in the workbook; returns the cell range of each list's labels."""
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60
    sheet.append([str(_("How to fill in this workbook"))])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    placeholders = {
        "goals": _sheet_title(GOALS_SHEET),
        "measures": _sheet_title(MEASURES_SHEET),
        "start": _date(plan.period_start),
        "end": _date(plan.period_end),
    }
    for text in INSTRUCTIONS:
        sheet.append([str(text) % placeholders])
        sheet.merge_cells(
            start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=2
        )
        sheet.cell(row=sheet.max_row, column=1).alignment = wrap
        sheet.row_dimensions[sheet.max_row].height = 45
    ranges = {}
    titles = {column.key: column.title for column in MEASURE_COLUMNS}
    for key, choices in CHOICES.items():
        sheet.append([])
        sheet.append([str(titles[key]), str(_("Label"))])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.cell(row=sheet.max_row, column=2).font = bold
        first = sheet.max_row + 1
        for code, label in choices.choices:
            sheet.append([code, str(label)])
        ranges[key] = f"{quote_sheetname(sheet.title)}!$B${first}:$B${sheet.max_row}"
    return ranges


# Reading the workbook -----------------------------------------------------------------------


@dataclass
class ImportIssue:
    """A problem found in the file: `line` as the spreadsheet numbers rows (None: the sheet)."""

    sheet: str
    line: int | None
    column: str
    message: str


@dataclass
class GoalRow:
    """A goal row of the file that passed the checks, and what it will do."""

    line: int
    code: str
    values: dict
    goal: Goal | None = None
    # (field label, old, new), both values as shown to the user; only for existing goals.
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.values.get("title") or (self.goal.title if self.goal else "")


@dataclass
class MeasureRow:
    """A measure row of the file that passed the checks, and what it will do."""

    line: int
    code: str
    values: dict
    measure: Measure | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.values.get("title") or (self.measure.title if self.measure else "")

    @property
    def goal_code(self) -> str:
        return self.values.get("goal") or (self.measure.goal.code if self.measure else "")

    @property
    def lead_implementer(self):
        if "lead_implementer" in self.values:
            return self.values["lead_implementer"]
        return self.measure.lead_implementer if self.measure else None

    @property
    def partners(self) -> list:
        if "partners" in self.values:
            return self.values["partners"]
        return list(self.measure.partners.all()) if self.measure else []


@dataclass
class PlanImportPreview:
    """What importing a file would do to a plan; built again from the file on confirmation."""

    plan: Plan
    goals_to_create: list[GoalRow] = field(default_factory=list)
    goals_to_update: list[GoalRow] = field(default_factory=list)
    goals_unchanged: list[GoalRow] = field(default_factory=list)
    measures_to_create: list[MeasureRow] = field(default_factory=list)
    measures_to_update: list[MeasureRow] = field(default_factory=list)
    measures_unchanged: list[MeasureRow] = field(default_factory=list)
    # The plan's goals and measures the file does not mention: they stay as they are.
    goals_not_in_file: list[Goal] = field(default_factory=list)
    measures_not_in_file: list[Measure] = field(default_factory=list)
    # (sheet, column title) of columns missing from the file: their values stay as they are.
    columns_not_in_file: list[tuple[str, str]] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(
            self.goals_to_create
            or self.goals_to_update
            or self.measures_to_create
            or self.measures_to_update
        )


@dataclass
class _Sheet:
    title: str
    # key → (column index, title as written in the file)
    columns: dict
    rows: list  # (line, row)


def parse_plan_file(fileobj, *, plan: Plan) -> PlanImportPreview:
    """Read a workbook of goals and measures and check every row against the plan.

    Nothing is written. Goals and measures are matched by code within the plan. Five queries
    whatever the file's size.
    """
    preview = PlanImportPreview(plan=plan)
    if plan.status == PlanStatus.CLOSED:
        preview.errors.append(ImportIssue("", None, "", str(CLOSED)))
    try:
        goal_rows, measure_rows = _read_workbook(read_upload(fileobj))
        goal_sheet = goal_rows and _table(goal_rows, GOAL_COLUMNS, "goals")
        measure_sheet = measure_rows and _table(measure_rows, MEASURE_COLUMNS, "measures")
    except FileProblem as problem:
        preview.errors.append(ImportIssue(problem.sheet, None, "", str(problem.message)))
        return preview
    for sheet, columns in ((goal_sheet, GOAL_COLUMNS), (measure_sheet, MEASURE_COLUMNS)):
        if sheet:
            preview.columns_not_in_file += [
                (sheet.title, str(c.title)) for c in columns if c.key not in sheet.columns
            ]
    with scope(territory=plan.territory_id):
        checker = _PlanChecker(plan, preview)
        if goal_sheet:
            for line, row in goal_sheet.rows:
                checker.check_goal(goal_sheet, line, row)
        if measure_sheet:
            checker.file_goal_codes |= checker.goal_codes_in(goal_sheet)
            for line, row in measure_sheet.rows:
                checker.check_measure(measure_sheet, line, row)
        seen_goals = {row.code for row in checker.goal_rows}
        seen_measures = {row.code for row in checker.measure_rows}
        preview.goals_not_in_file = [g for g in checker.goals.values() if g.code not in seen_goals]
        preview.measures_not_in_file = [
            m for m in checker.measures.values() if m.code not in seen_measures
        ]
    return preview


def _read_workbook(data: bytes) -> tuple[list | None, list | None]:
    """The rows of the goals and of the measures sheet (None when the file has no such sheet)."""
    if not data.startswith(b"PK\x03\x04"):
        raise FileProblem(UNREADABLE)
    # A damaged or foreign file can make openpyxl raise almost anything; all mean "unreadable".
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise FileProblem(UNREADABLE) from error
    try:
        found = {}
        for key, title in (("goals", GOALS_SHEET), ("measures", MEASURES_SHEET)):
            names = _in_every_language(title)
            sheet = next((s for s in workbook.worksheets if _match_key(s.title) in names), None)
            if sheet is not None:
                # Some programs write a wrong used range, which read-only mode would trust.
                sheet.reset_dimensions()
                found[key] = (sheet.title, _take_rows(sheet.iter_rows(values_only=True)))
    except FileProblem:
        raise
    except Exception as error:
        raise FileProblem(UNREADABLE) from error
    finally:
        workbook.close()
    if not found:
        raise FileProblem(
            _(
                "The file has neither a “%(goals)s” nor a “%(measures)s” sheet. Start from the "
                "workbook downloaded from the plan."
            )
            % {"goals": _sheet_title(GOALS_SHEET), "measures": _sheet_title(MEASURES_SHEET)}
        )
    return found.get("goals"), found.get("measures")


def _take_rows(rows) -> list[list]:
    """The sheet's rows, stopping at a long run of empty ones (formatted down to the end)."""
    taken, filled, empty_run = [], 0, 0
    for row in rows:
        row = list(row)
        if _is_empty(row):
            empty_run += 1
            if empty_run > MAX_EMPTY_RUN:
                break
        else:
            filled, empty_run = filled + 1, 0
        taken.append(row)
        if filled > HEADER_SEARCH_ROWS + MAX_IMPORT_ROWS:
            raise FileProblem(
                _("The file has more than %(count)s rows; split it into smaller files.")
                % {"count": MAX_IMPORT_ROWS}
            )
    return taken


def _is_empty(row) -> bool:
    return not any(str(value if value is not None else "").strip() for value in row)


def _table(found, columns, kind) -> _Sheet:
    """Find the header row of a sheet and the data rows below it, numbered as in the file."""
    title, rows = found
    index, found_columns = _header(rows, columns)
    titles = {column.key: column.title for column in columns}
    missing = [titles[key] for key in REQUIRED_COLUMNS[kind] if key not in found_columns]
    if missing:
        raise FileProblem(
            _("The sheet has no column “%(column)s”.") % {"column": missing[0]}, sheet=title
        )
    data_rows = [
        (line, row)
        for line, row in enumerate(rows[index + 1 :], start=index + 2)
        if not _is_empty(row)
    ]
    return _Sheet(title=title, columns=found_columns, rows=data_rows)


def _header(rows, columns) -> tuple[int, dict]:
    """(row index, {key: (column index, title)}) of the first row with a code column."""
    lookup = {}
    for column in columns:
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                lookup.setdefault(_match_key(column.title), column.key)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = {}
        for position, cell in enumerate(row):
            key = lookup.get(_match_key(cell or ""))
            if key and key not in found:
                found[key] = (position, str(cell).strip())
        if "code" in found:
            return index, found
    return -1, {}


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A code or an identifier typed as a number.
        value = int(value)
    elif isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    return unescape_formula(str(value).strip())


DATE_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$"),
    re.compile(r"^(?P<day>\d{1,2})\.\s*(?P<month>\d{1,2})\.\s*(?P<year>\d{4})$"),
)


class _CellError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _cell_text(value)
    if not text:
        return None
    for pattern in DATE_PATTERNS:
        if match := pattern.match(text):
            try:
                return datetime.date(int(match["year"]), int(match["month"]), int(match["day"]))
            except ValueError:
                break
    raise _CellError(
        _("“%(value)s” is not a date; write it as YYYY-MM-DD or D.M.YYYY.") % {"value": text}
    )


def _parse_amount(value) -> Decimal | None:
    if isinstance(value, bool):
        raise _CellError(_("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int | float):
        text = str(value)
    else:
        text = re.sub(r"\s", "", _cell_text(value))
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise _CellError(
            _("“%(value)s” is not an amount; write a number such as 12500 or 12500.50.")
            % {"value": _cell_text(value)}
        )
    if amount < 0:
        raise _CellError(_("The budget cannot be negative."))
    try:
        return Measure._meta.get_field("budget_amount").clean(amount, None)
    except ValidationError as problem:
        raise _CellError(" ".join(problem.messages)) from problem


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for code, label in choices.choices:
        lookup[_match_key(code)] = code
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                lookup.setdefault(_match_key(label), code)
    return lookup


def _split(text) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


class _PlanChecker:
    """Checks rows against the plan and the directory as they are, in five queries."""

    def __init__(self, plan, preview):
        self.plan = plan
        self.preview = preview
        self.directory = _Directory(plan.territory_id)
        self.goals = {g.code: g for g in Goal.objects.filter(plan=plan).order_by("code")}
        self.measures = {
            m.code: m
            for m in Measure.objects.filter(plan=plan)
            .select_related("goal", "lead_implementer", "responsible")
            .prefetch_related("partners")
            .order_by("code")
        }
        self.choices = {key: _choice_lookup(choices) for key, choices in CHOICES.items()}
        self.goal_rows: list[GoalRow] = []
        self.measure_rows: list[MeasureRow] = []
        self.file_goal_codes: set[str] = set()
        self.seen = {"goals": {}, "measures": {}}

    def goal_codes_in(self, sheet) -> set[str]:
        if not sheet or "code" not in sheet.columns:
            return set()
        position = sheet.columns["code"][0]
        return {_cell_text(row[position]) for _line, row in sheet.rows if position < len(row)} - {
            ""
        }

    # Goals

    def check_goal(self, sheet, line, row):
        errors = []
        cell, error = self._cells(sheet, line, row, errors)
        values = {}
        code = self._code(sheet, "goals", line, cell, error)
        self._required_text(Goal, values, "title", cell, error)
        if "description" in sheet.columns:
            self._text(Goal, values, "description", cell, error)
        if errors or not code:
            self._report(errors)
            return
        goal = self.goals.get(code)
        result = GoalRow(line=line, code=code, values=values, goal=goal)
        self.goal_rows.append(result)
        if goal is None:
            self.preview.goals_to_create.append(result)
            return
        result.changes = _changes(goal, values, GOAL_COLUMNS)
        if result.changes:
            self.preview.goals_to_update.append(result)
        else:
            self.preview.goals_unchanged.append(result)

    # Measures

    def check_measure(self, sheet, line, row):
        errors = []
        cell, error = self._cells(sheet, line, row, errors)
        values = {}
        goal_code = cell("goal")
        if not goal_code:
            error("goal", REQUIRED)
        elif goal_code not in self.goals and goal_code not in self.file_goal_codes:
            error(
                "goal",
                _("No goal with the code “%(code)s” is on the “%(sheet)s” sheet or in the plan.")
                % {"code": goal_code, "sheet": _sheet_title(GOALS_SHEET)},
            )
        else:
            values["goal"] = goal_code
        code = self._code(sheet, "measures", line, cell, error)
        self._required_text(Measure, values, "title", cell, error)
        for key in ("description", "funding_note"):
            if key in sheet.columns:
                self._text(Measure, values, key, cell, error)
        if "lead_implementer" in sheet.columns:
            text = cell("lead_implementer")
            values["lead_implementer"] = (
                self._organisation(text, "lead_implementer", error) if text else None
            )
        if "partners" in sheet.columns:
            partners = [
                self._organisation(part, "partners", error) for part in _split(cell("partners"))
            ]
            values["partners"] = list({o.pk: o for o in partners if o}.values())
        if "responsible" in sheet.columns:
            text = cell("responsible")
            values["responsible"] = self._person(text, error) if text else None
        for key in ("start", "end"):
            if key in sheet.columns:
                try:
                    values[key] = _parse_date(cell(key, raw=True))
                except _CellError as problem:
                    error(key, problem.message)
        if "budget_amount" in sheet.columns:
            try:
                values["budget_amount"] = _parse_amount(cell("budget_amount", raw=True))
            except _CellError as problem:
                error("budget_amount", problem.message)
        for key in CHOICES:
            if key in sheet.columns:
                self._choice(values, key, cell(key), error)
        measure = self.measures.get(code) if code else None
        self._check_dates(values, measure, error)
        if errors or not code:
            self._report(errors)
            return
        result = MeasureRow(line=line, code=code, values=values, measure=measure)
        self.measure_rows.append(result)
        if measure is None:
            self.preview.measures_to_create.append(result)
            return
        result.changes = _changes(measure, values, MEASURE_COLUMNS)
        if result.changes:
            self.preview.measures_to_update.append(result)
        else:
            self.preview.measures_unchanged.append(result)

    # Cells

    def _cells(self, sheet, line, row, errors):
        def cell(key, raw=False):
            if key not in sheet.columns:
                return None if raw else ""
            position = sheet.columns[key][0]
            value = row[position] if position < len(row) else None
            return value if raw else _cell_text(value)

        def error(key, message):
            position, column = sheet.columns.get(key, (-1, ""))
            errors.append((position, ImportIssue(sheet.title, line, column, str(message))))

        return cell, error

    def _report(self, errors):
        # A row's errors in the order of its columns, as the user reads the row.
        self.preview.errors.extend(issue for _position, issue in sorted(errors, key=lambda e: e[0]))

    def _code(self, sheet, kind, line, cell, error) -> str:
        code = cell("code")
        if not code:
            error("code", REQUIRED)
            return ""
        model = Goal if kind == "goals" else Measure
        try:
            code = model._meta.get_field("code").clean(code, None)
        except ValidationError as problem:
            for message in problem.messages:
                error("code", message)
            return ""
        seen = self.seen[kind]
        if code in seen:
            error(
                "code",
                _("The code “%(code)s” is already on line %(line)s.")
                % {"code": code, "line": seen[code]},
            )
            return ""
        seen[code] = line
        return code

    def _required_text(self, model, values, key, cell, error):
        if not cell(key):
            error(key, REQUIRED)
            return
        self._text(model, values, key, cell, error)

    def _text(self, model, values, key, cell, error):
        try:
            values[key] = model._meta.get_field(key).clean(cell(key), None)
        except ValidationError as problem:
            for message in problem.messages:
                error(key, message)

    def _choice(self, values, key, text, error):
        choices = CHOICES[key]
        parts = _split(text) if key in MULTIPLE_CHOICE_FIELDS else [text] if text else []
        codes = []
        for part in parts:
            code = self.choices[key].get(_match_key(part))
            if code is None:
                error(
                    key,
                    _("Unknown value “%(value)s”; use one of: %(choices)s.")
                    % {
                        "value": part,
                        "choices": ", ".join(str(label) for _code, label in choices.choices),
                    },
                )
            elif code not in codes:
                codes.append(code)
        if key in MULTIPLE_CHOICE_FIELDS:
            values[key] = codes
        elif codes:
            values[key] = codes[0]
        elif key != "status":
            values[key] = ""
        # An empty status keeps the measure's status: it has no "none".

    def _organisation(self, text, key, error):
        matches = self.directory.organisations_matching(text)
        if len(matches) == 1:
            return matches[0]
        if matches:
            message = _(
                "Several organisations match “%(value)s”; write its IČO, RED_IZO, REGON or "
                "RSPO number instead."
            )
        else:
            message = _("No organisation “%(value)s” is in this territory's directory.")
        error(key, message % {"value": text})
        return None

    def _person(self, text, error):
        matches = self.directory.people_matching(text)
        if len(matches) == 1:
            return matches[0]
        if matches:
            error(
                "responsible",
                _("Several people are called “%(value)s”; write their e-mail instead.")
                % {"value": text},
            )
        else:
            error(
                "responsible",
                _("No person “%(value)s” is in this territory's directory.") % {"value": text},
            )
        return None

    def _check_dates(self, values, measure, error):
        start = values["start"] if "start" in values else (measure.start if measure else None)
        end = values["end"] if "end" in values else (measure.end if measure else None)
        plan = self.plan
        for key, value in (("start", start), ("end", end)):
            # A date stored before the period was changed is not the file's fault.
            unchanged = measure is not None and getattr(measure, key) == value
            if key not in values or not value or unchanged:
                continue
            if not plan.period_start <= value <= plan.period_end:
                error(
                    key,
                    _("%(date)s is outside the plan's period (%(start)s – %(end)s).")
                    % {
                        "date": _date(value),
                        "start": _date(plan.period_start),
                        "end": _date(plan.period_end),
                    },
                )
        if start and end and end < start:
            error(
                "end" if "end" in values else "start",
                _("The end (%(end)s) is before the start (%(start)s).")
                % {"end": _date(end), "start": _date(start)},
            )


def _changes(obj, values, columns) -> list[tuple[str, str, str]]:
    """(field label, old, new) for each value of the row that differs from the stored one."""
    changes = []
    for column in columns:
        key = column.key
        if key not in values or key == "code":
            continue
        new = values[key]
        if key == "goal":
            old = obj.goal.code
        elif key == "partners":
            old = list(obj.partners.all())
        else:
            old = getattr(obj, key)
        if _same(key, old, new):
            continue
        changes.append((str(column.title), _display(key, old), _display(key, new)))
    return changes


def _same(key, old, new) -> bool:
    if key == "partners":
        return {o.pk for o in old} == {o.pk for o in new}
    if key in MULTIPLE_CHOICE_FIELDS:
        return set(old) == set(new)
    if isinstance(old, str) and isinstance(new, str):
        # Spreadsheets keep a cell's inner line breaks but not its outer white space.
        return old.replace("\r\n", "\n").strip() == new.replace("\r\n", "\n").strip()
    if isinstance(old, Organisation | Person) or isinstance(new, Organisation | Person):
        return getattr(old, "pk", None) == getattr(new, "pk", None)
    return old == new


def _display(key, value) -> str:
    if value is None or value == "":
        return ""
    if key in CHOICES:
        choices = CHOICES[key]
        if key in MULTIPLE_CHOICE_FIELDS:
            return LIST_SEPARATOR.join(_labels(choices, value))
        return _label(choices, value)
    if key == "partners":
        return _names(value)
    if isinstance(value, Organisation):
        return value.name
    if isinstance(value, datetime.date):
        return _date(value)
    if isinstance(value, Decimal):
        return _money(value)
    return str(value)


# Writing the import -------------------------------------------------------------------------


@transaction.atomic
def do_import_plan(preview: PlanImportPreview, *, acting_user) -> dict:
    """Create and update the goals and measures of a valid preview, all or nothing.

    Returns how many goals and measures were created, updated and left unchanged, each
    (`goals_created`, `measures_updated`…) and together (`created`, `updated`, `unchanged`).
    """
    if not preview.is_valid:
        raise ValueError("Refusing to import a file with errors.")
    with scope(territory=preview.plan.territory_id):
        # Locked so that the plan cannot be closed while its measures are being written.
        plan = Plan.objects.select_for_update().get(pk=preview.plan.pk)
        if plan.status == PlanStatus.CLOSED:
            raise ValueError("Refusing to import into a closed plan.")
        try:
            _write_goals(plan, preview, acting_user)
            _write_measures(plan, preview, acting_user)
        except ValidationError as error:
            # The checks of the preview should have caught it; refuse rather than half-write.
            raise ValueError("; ".join(error.messages)) from error
    counts = {
        "goals_created": len(preview.goals_to_create),
        "goals_updated": len(preview.goals_to_update),
        "goals_unchanged": len(preview.goals_unchanged),
        "measures_created": len(preview.measures_to_create),
        "measures_updated": len(preview.measures_to_update),
        "measures_unchanged": len(preview.measures_unchanged),
    }
    for outcome in ("created", "updated", "unchanged"):
        counts[outcome] = counts[f"goals_{outcome}"] + counts[f"measures_{outcome}"]
    return counts


def _write_goals(plan, preview, acting_user):
    for row in preview.goals_to_create:
        goal = Goal(territory_id=plan.territory_id, plan=plan, code=row.code)
        for key, value in row.values.items():
            setattr(goal, key, value)
        do_save_goal(goal, acting_user=acting_user)
    for row in preview.goals_to_update:
        goal = row.goal
        goal.plan = plan
        for key, value in row.values.items():
            setattr(goal, key, value)
        do_save_goal(goal, acting_user=acting_user)


def _write_measures(plan, preview, acting_user):
    goals = {g.code: g for g in Goal.objects.filter(plan=plan)}
    for row in [*preview.measures_to_create, *preview.measures_to_update]:
        measure = row.measure or Measure(territory_id=plan.territory_id, code=row.code)
        measure.plan = plan
        partners = row.partners
        related = list(measure.related.all()) if measure.pk else []
        for key, value in row.values.items():
            if key == "goal":
                measure.goal = goals[value]
            elif key != "partners":
                setattr(measure, key, value)
        do_save_measure(measure, partners=partners, related=related, acting_user=acting_user)


# What the exports show ----------------------------------------------------------------------


class _PlanContents:
    """Everything the exports show of a plan, each part loaded once with its relations."""

    def __init__(self, plan, today):
        self.plan = plan
        self.today = today

    @cached_property
    def goals(self) -> list:
        return list(Goal.objects.filter(plan=self.plan).order_by("code"))

    @cached_property
    def measures(self) -> list:
        # One query with the risk annotations, and one per prefetched relation.
        queryset = (
            Measure.objects.filter(plan=self.plan)
            .select_related("goal", "lead_implementer", "responsible", "carried_over_from")
            .prefetch_related("partners", "related")
            .order_by("goal__code", "code")
        )
        return list(measures_with_risk(queryset, self.today))

    @cached_property
    def progress_updates(self) -> list:
        return list(
            ProgressUpdate.objects.filter(measure__plan=self.plan)
            .select_related("measure", "author")
            .prefetch_related("attachments")
            .order_by("measure__code", "-date", "-pk")
        )

    @cached_property
    def latest_progress(self) -> dict:
        latest = {}
        for update in self.progress_updates:
            latest.setdefault(update.measure_id, update)
        return latest

    @cached_property
    def indicators(self) -> list:
        return list(
            Indicator.objects.filter(plan=self.plan)
            .select_related("measure")
            .prefetch_related("values")
            .order_by(F("measure__code").asc(nulls_first=True), "name")
        )

    @cached_property
    def tasks(self):
        return Task.objects.filter(measure__plan=self.plan)


def _latest_value(indicator):
    values = list(indicator.values.all())
    return values[-1] if values else None


def _measured(value, unit, date) -> str:
    if value is None:
        return ""
    text = f"{_number(value)} {unit}".strip()
    return f"{text} ({_date(date)})" if date else text


def _budget(measure) -> str:
    if measure.budget_amount is None:
        return ""
    return f"{_money(measure.budget_amount)} {measure.budget_currency}".strip()


# The plan workbook --------------------------------------------------------------------------


def plan_xlsx(plan: Plan, *, today: datetime.date | None = None) -> bytes:
    """The whole plan as a workbook: one sheet per level, every field, formulas defused."""
    today = today or timezone.localdate()
    with scope(territory=plan.territory_id):
        contents = _PlanContents(plan, today)
        workbook = openpyxl.Workbook(write_only=True)
        _write_rows(workbook, capfirst(Plan._meta.verbose_name), *_plan_sheet(plan))
        _write_rows(workbook, GOALS_SHEET, *_goals_sheet(contents))
        _write_rows(workbook, MEASURES_SHEET, *_measures_sheet(contents))
        tasks = TasksExporter(contents.tasks, today=today)
        _write_rows(
            workbook,
            capfirst(Task._meta.verbose_name_plural),
            [*tasks.headers, _title(Task, "description")],
            ([*tasks.row(task), task.description] for task in tasks.queryset),
        )
        _write_rows(
            workbook, capfirst(Indicator._meta.verbose_name_plural), *_indicators_sheet(contents)
        )
        _write_rows(workbook, _("Indicator values"), *_indicator_values_sheet(contents))
        _write_rows(
            workbook,
            capfirst(ProgressUpdate._meta.verbose_name_plural),
            *_progress_sheet(contents),
        )
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def _write_rows(workbook, title, headers, rows) -> None:
    sheet = workbook.create_sheet(title=_sheet_title(title))
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12, min(len(str(header)) + 4, 40)
        )
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_value(header) for header in headers])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, Promise):
        value = str(value)
    elif isinstance(value, list | tuple):
        value = LIST_SEPARATOR.join(str(item) for item in value)
    elif isinstance(value, datetime.datetime) and timezone.is_aware(value):
        # Spreadsheets have no time zones: show the local time the user expects.
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str):
        # Control characters are not allowed in XML and make openpyxl refuse the cell.
        return ILLEGAL_CHARACTERS_RE.sub("", escape_formula(value))
    return value


def _plan_sheet(plan):
    headers = [_("Field"), _("Value")]
    rows = [
        (_title(Plan, "title"), plan.title),
        (_title(Plan, "period_start"), plan.period_start),
        (_title(Plan, "period_end"), plan.period_end),
        (_title(Plan, "status"), plan.get_status_display()),
        (_title(Plan, "adopted_on"), plan.adopted_on),
        (_title(Plan, "resolution_number"), plan.resolution_number),
        (_title(Plan, "coordinator"), plan.coordinator.full_name if plan.coordinator else ""),
        (_title(Plan, "predecessor"), plan.predecessor.title if plan.predecessor else ""),
        (_title(Plan, "description"), plan.description),
    ]
    return headers, rows


def _goals_sheet(contents):
    headers = [_title(Goal, "code"), _title(Goal, "title"), _title(Goal, "description")]
    return headers, ([g.code, g.title, g.description] for g in contents.goals)


def _measures_sheet(contents):
    headers = [
        _("Goal code"),
        *(
            _title(Measure, name)
            for name in (
                "code",
                "title",
                "description",
                "lead_implementer",
                "partners",
                "responsible",
                "start",
                "end",
                "status",
                "budget_amount",
                "budget_currency",
                "funding_source",
                "funding_note",
                "education_levels",
                "target_groups",
                "related",
                "carried_over_from",
                "last_progress_on",
            )
        ),
        _("At risk"),
        _("Why at risk"),
        _title(Measure, "created"),
        _title(Measure, "updated"),
    ]

    def rows():
        for m in contents.measures:
            yield [
                m.goal.code,
                m.code,
                m.title,
                m.description,
                m.lead_implementer.name if m.lead_implementer else "",
                [o.name for o in m.partners.all()],
                m.responsible.full_name if m.responsible else "",
                m.start,
                m.end,
                m.get_status_display(),
                m.budget_amount,
                m.budget_currency,
                m.get_funding_source_display(),
                m.funding_note,
                _labels(EducationLevel, m.education_levels),
                _labels(TargetGroup, m.target_groups),
                [r.code for r in m.related.all()],
                m.carried_over_from.code if m.carried_over_from else "",
                m.last_progress_on,
                m.at_risk,
                risk_reasons(m, contents.today),
                m.created,
                m.updated,
            ]

    return headers, rows()


def _indicators_sheet(contents):
    headers = [
        _title(Indicator, "name"),
        _("Measure code"),
        _title(Indicator, "unit"),
        _title(Indicator, "direction"),
        _title(Indicator, "baseline_value"),
        _title(Indicator, "baseline_date"),
        _title(Indicator, "target_value"),
        _title(Indicator, "target_date"),
        _("Latest value"),
        _("Date of the latest value"),
    ]

    def rows():
        for i in contents.indicators:
            latest = _latest_value(i)
            yield [
                i.name,
                i.measure.code if i.measure else "",
                i.unit,
                i.get_direction_display(),
                i.baseline_value,
                i.baseline_date,
                i.target_value,
                i.target_date,
                latest.value if latest else None,
                latest.date if latest else None,
            ]

    return headers, rows()


def _indicator_values_sheet(contents):
    headers = [
        _title(Indicator, "name"),
        _("Measure code"),
        _title(IndicatorValue, "date"),
        _title(IndicatorValue, "value"),
        _title(IndicatorValue, "source"),
        _title(IndicatorValue, "note"),
    ]

    def rows():
        for i in contents.indicators:
            for v in i.values.all():
                yield [
                    i.name,
                    i.measure.code if i.measure else "",
                    v.date,
                    v.value,
                    v.source,
                    v.note,
                ]

    return headers, rows()


def _progress_sheet(contents):
    headers = [
        _("Measure code"),
        _title(ProgressUpdate, "date"),
        _title(ProgressUpdate, "status"),
        _title(ProgressUpdate, "narrative"),
        _title(ProgressUpdate, "author"),
        capfirst(pgettext_lazy("files", "attachments")),
    ]

    def rows():
        for u in contents.progress_updates:
            yield [
                u.measure.code,
                u.date,
                u.get_status_display(),
                u.narrative,
                u.author.get_full_name() if u.author else "",
                [a.original_name for a in u.attachments.all()],
            ]

    return headers, rows()


class TasksExporter(ListExporter):
    """Tasks as a CSV or XLSX list; the caller passes a queryset already restricted."""

    name = Task._meta.verbose_name_plural
    headers = [
        _title(Task, "title"),
        _("Measure code"),
        _title(Task, "owner_organisation"),
        _title(Task, "owner_person"),
        _title(Task, "due"),
        _title(Task, "status"),
        _("Overdue"),
        _title(Task, "completed_on"),
    ]

    def __init__(self, queryset, *, today: datetime.date | None = None):
        # One query whatever the number of tasks.
        self.queryset = queryset.select_related("measure", "owner_organisation", "owner_person")
        self.today = today or timezone.localdate()

    def row(self, task) -> list:
        return [
            task.title,
            task.measure.code if task.measure else "",
            task.owner_organisation.name if task.owner_organisation else "",
            task.owner_person.full_name if task.owner_person else "",
            task.due,
            task.get_status_display(),
            task.is_overdue(self.today),
            task.completed_on,
        ]

    def rows(self):
        for task in self.queryset:
            yield self.row(task)


# The plan document (PDF, DOCX) ------------------------------------------------------------


@dataclass
class IndicatorLine:
    name: str
    baseline: str
    target: str
    latest: str


@dataclass
class MeasureSection:
    measure: Measure
    facts: list[tuple[str, str]]
    risk_reasons: list[str]
    progress_date: str
    progress_narrative: str
    indicators: list[IndicatorLine]


@dataclass
class GoalSection:
    goal: Goal
    measures: list[MeasureSection]


@dataclass
class PlanDocument:
    """What a council receives: the plan's facts, its goals with their measures, indicators."""

    plan: Plan
    territory_name: str
    facts: list[tuple[str, str]]
    goals: list[GoalSection]
    indicators: list[IndicatorLine]
    generated_on: str


def _indicator_line(indicator) -> IndicatorLine:
    latest = _latest_value(indicator)
    return IndicatorLine(
        name=indicator.name,
        baseline=_measured(indicator.baseline_value, indicator.unit, indicator.baseline_date),
        target=_measured(indicator.target_value, indicator.unit, indicator.target_date),
        latest=_measured(latest.value, indicator.unit, latest.date) if latest else "",
    )


def plan_document(plan: Plan, *, today: datetime.date | None = None) -> PlanDocument:
    """The content of the PDF and DOCX documents, read in a fixed number of queries."""
    today = today or timezone.localdate()
    with scope(territory=plan.territory_id):
        contents = _PlanContents(plan, today)
        indicators_of = {}
        for indicator in contents.indicators:
            indicators_of.setdefault(indicator.measure_id, []).append(_indicator_line(indicator))
        sections = {goal.pk: GoalSection(goal, []) for goal in contents.goals}
        at_risk = 0
        for measure in contents.measures:
            reasons = risk_reasons(measure, today) if measure.at_risk else []
            at_risk += bool(reasons)
            progress = contents.latest_progress.get(measure.pk)
            sections[measure.goal_id].measures.append(
                MeasureSection(
                    measure=measure,
                    facts=_measure_facts(measure),
                    risk_reasons=reasons,
                    progress_date=_date(progress.date) if progress else "",
                    progress_narrative=progress.narrative if progress else "",
                    indicators=indicators_of.get(measure.pk, []),
                )
            )
        adopted = ""
        if plan.adopted_on:
            adopted = _date(plan.adopted_on)
            if plan.resolution_number:
                adopted = str(
                    _("%(date)s, resolution %(number)s")
                    % {"date": adopted, "number": plan.resolution_number}
                )
        facts = [
            (_("Period"), _period(plan.period_start, plan.period_end)),
            (_title(Plan, "status"), plan.get_status_display()),
            (_title(Plan, "adopted_on"), adopted),
            (_title(Plan, "coordinator"), plan.coordinator.full_name if plan.coordinator else ""),
            (GOALS_SHEET, len(sections)),
            (MEASURES_SHEET, len(contents.measures)),
            (_("Measures at risk"), at_risk),
        ]
        return PlanDocument(
            plan=plan,
            territory_name=plan.territory.name,
            facts=[(str(label), str(value)) for label, value in facts if value != ""],
            goals=list(sections.values()),
            indicators=indicators_of.get(None, []),
            generated_on=_date(today),
        )


def _measure_facts(measure) -> list[tuple[str, str]]:
    funding = [measure.get_funding_source_display(), measure.funding_note]
    facts = [
        (
            _title(Measure, "lead_implementer"),
            measure.lead_implementer.name if measure.lead_implementer else "",
        ),
        (_title(Measure, "partners"), _names(measure.partners.all())),
        (_title(Measure, "responsible"), str(measure.responsible or "")),
        (_("Period"), _period(measure.start, measure.end)),
        (_title(Measure, "budget_amount"), _budget(measure)),
        (_title(Measure, "funding_source"), ", ".join(str(part) for part in funding if part)),
        (_title(Measure, "status"), measure.get_status_display()),
        (_title(Measure, "target_groups"), ", ".join(_labels(TargetGroup, measure.target_groups))),
        (
            _title(Measure, "education_levels"),
            ", ".join(_labels(EducationLevel, measure.education_levels)),
        ),
    ]
    return [(str(label), str(value) if value else "—") for label, value in facts]


def plan_html(plan: Plan, *, today: datetime.date | None = None) -> str:
    """The plan document as standalone HTML (no external resources), the source of the PDF."""
    document = plan_document(plan, today=today)
    return render_to_string("plans/export/plan_document.html", {"document": document})


def plan_pdf(plan: Plan, *, today: datetime.date | None = None) -> bytes:
    """The plan document as an A4 PDF, rendered by WeasyPrint from `plan_html`."""
    return html_to_pdf(plan_html(plan, today=today))


def _xml(text: str) -> str:
    # Control characters pasted into a description are not allowed in XML; lxml refuses them.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def plan_docx(plan: Plan, *, today: datetime.date | None = None) -> bytes:
    """The plan document as a Word file with real headings and tables."""
    document = plan_document(plan, today=today)
    word = docx.Document()
    word.core_properties.title = _xml(document.plan.title)
    word.styles["Normal"].font.size = Pt(10)

    footer = word.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_field = OxmlElement("w:fldSimple")
    page_field.set(qn("w:instr"), "PAGE")
    footer._p.append(page_field)

    def facts_table(facts):
        table = word.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in facts:
            cells = table.add_row().cells
            cells[0].text = _xml(label)
            cells[1].text = _xml(value)
            cells[0].paragraphs[0].runs[0].bold = True
        return table

    def indicators_table(lines):
        table = word.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        headers = [_("Indicator"), _("Baseline"), _("Target"), _("Latest value")]
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            cell.text = str(header)
            cell.paragraphs[0].runs[0].bold = True
        for line in lines:
            cells = table.add_row().cells
            for cell, value in zip(
                cells, (line.name, line.baseline, line.target, line.latest), strict=True
            ):
                cell.text = _xml(value) or "—"

    word.add_heading(_xml(document.plan.title), level=0)
    word.add_paragraph(_xml(document.territory_name))
    facts_table(document.facts)
    if document.plan.description:
        word.add_paragraph(_xml(document.plan.description))
    if document.indicators:
        word.add_heading(str(_("Indicators of the plan")), level=1)
        indicators_table(document.indicators)
    for section in document.goals:
        word.add_heading(_xml(f"{section.goal.code} {section.goal.title}"), level=1)
        if section.goal.description:
            word.add_paragraph(_xml(section.goal.description))
        if not section.measures:
            word.add_paragraph(str(_("This goal has no measures yet.")))
        for item in section.measures:
            word.add_heading(_xml(f"{item.measure.code} {item.measure.title}"), level=2)
            if item.risk_reasons:
                paragraph = word.add_paragraph()
                run = paragraph.add_run(str(_("At risk:")) + " ")
                run.bold = True
                run.font.color.rgb = RGBColor(0xA4, 0x1E, 0x11)
                paragraph.add_run(" ".join(item.risk_reasons))
            if item.measure.description:
                word.add_paragraph(_xml(item.measure.description))
            facts_table(item.facts)
            if item.progress_narrative:
                paragraph = word.add_paragraph()
                paragraph.add_run(
                    str(_("Latest progress (%(date)s):") % {"date": item.progress_date}) + " "
                ).bold = True
                paragraph.add_run(_xml(item.progress_narrative))
            if item.indicators:
                word.add_heading(str(_("Indicators")), level=3)
                indicators_table(item.indicators)
    word.add_paragraph(str(_("Generated on %(date)s.") % {"date": document.generated_on}))
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()
