"""The one export base (pretix's ListExporter): subclasses yield rows, this writes CSV or XLSX.

CSV is RFC 4180 (comma, `"` quoting where needed, CRLF) in UTF-8 with a byte-order mark, so
Excel recognises the encoding of Czech and Polish names. Excel in a Czech or Polish locale
still splits a double-clicked CSV on `;`, not `,`: people who work in Excel should take the
XLSX, where every value keeps its type. CSV is for other tools, which read the standard.

Spreadsheet formula injection (OWASP "CSV Injection") is handled in one place,
`escape_formula`, for both formats.
"""

import csv
import datetime
import decimal
import io
import itertools
import re

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A cell starting with one of these may be run as a formula when a spreadsheet opens the file.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# Column widths are guessed from the header and the first rows, since a write-only sheet
# must be given its widths before the first row is written.
WIDTH_SAMPLE_ROWS = 100
MIN_WIDTH, MAX_WIDTH = 8, 60


# A phone number such as "+420 777 000 111" starts like a formula but cannot run anything.
PHONE_NUMBER = re.compile(r"^\+[\d ()/-]+$")


def escape_formula(value):
    """Prefix a formula-looking string with `'` so that spreadsheets show it as text."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and not PHONE_NUMBER.match(value)
    ):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo `escape_formula`, for importing a file that was exported by Spolu."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


class ListExporter:
    """A list of rows offered as a CSV or XLSX download.

    Subclasses set `name` (the file name stem), `headers` (lazy-translated column titles) and
    implement `rows()`, yielding one list of values per row. Values may be strings, numbers,
    dates, booleans, None, or lists (joined with "; "). They are written as typed values in
    XLSX and as text in CSV.
    """

    name = "export"
    headers: list = []

    def rows(self):
        raise NotImplementedError

    def response(self, fmt: str) -> HttpResponse:
        if fmt == "csv":
            return self.as_csv()
        if fmt == "xlsx":
            return self.as_xlsx()
        raise ValueError(f"Unknown export format: {fmt!r}")

    def as_csv(self) -> HttpResponse:
        return self._download(self.csv_bytes(), CSV_CONTENT_TYPE, "csv")

    def as_xlsx(self) -> HttpResponse:
        return self._download(self.xlsx_bytes(), XLSX_CONTENT_TYPE, "xlsx")

    def filename(self, extension: str) -> str:
        stem = slugify(str(self.name)) or "export"
        return f"{stem}-{timezone.localdate().isoformat()}.{extension}"

    # The bytes alone, for a background task that stores the file instead of sending it.

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for row in self._table():
            writer.writerow([_csv_text(value) for value in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    def xlsx_bytes(self) -> bytes:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=_sheet_title(self.name))
        table = self._table()
        header = next(table)
        sample = list(itertools.islice(table, WIDTH_SAMPLE_ROWS))
        for index, width in enumerate(_column_widths([header, *sample]), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header_cells = []
        for title in header:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(title))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in itertools.chain(sample, table):
            sheet.append([_xlsx_value(value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _table(self):
        """The header and the rows, with every value normalised and escaped."""
        yield [_normalise(title) for title in self.headers]
        for row in self.rows():
            yield [_normalise(value) for value in row]

    def _download(self, content: bytes, content_type: str, extension: str) -> HttpResponse:
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=self.filename(extension)
        )
        return response


def _normalise(value):
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    elif isinstance(value, list | tuple | set | frozenset):
        value = "; ".join(str(item) for item in value)
    elif isinstance(value, datetime.datetime) and timezone.is_aware(value):
        # Spreadsheets have no time zones: show the local time the user expects.
        value = timezone.localtime(value).replace(tzinfo=None)
    return escape_formula(value)


def _csv_text(value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _xlsx_value(value):
    if isinstance(value, str):
        # Control characters are not allowed in XML and make openpyxl refuse the cell.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, bool | int | float | decimal.Decimal | datetime.date | datetime.time):
        return value
    return str(value)


def _column_widths(rows) -> list[float]:
    widths = []
    for column in itertools.zip_longest(*rows, fillvalue=""):
        longest = max(len(_csv_text(value)) for value in column)
        widths.append(min(max(longest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def _sheet_title(name) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet title.
    title = "".join(ch for ch in str(name) if ch not in "[]:*?/\\").strip()
    return title[:31] or "Sheet"
