"""The export base: CSV and XLSX content, formula escaping, file names."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spolu.core.exports import ListExporter, escape_formula, unescape_formula

DANGEROUS = ["=1+2", "+1+cmd|calc", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


class SampleExporter(ListExporter):
    name = "Přehled škol"
    headers = [_("name"), _("number of pupils"), _("active"), "Datum"]

    def __init__(self, rows):
        self._rows = rows

    def rows(self):
        yield from self._rows


def read_csv(response):
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to see UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def read_xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook.active


def test_csv_has_header_row_and_keeps_diacritics():
    exporter = SampleExporter([["Žluťoučký kůň", 12, True, datetime.date(2025, 3, 1)]])
    rows = read_csv(exporter.as_csv())
    assert rows == [
        ["name", "number of pupils", "active", "Datum"],
        ["Žluťoučký kůň", "12", "yes", "2025-03-01"],
    ]


def test_csv_is_rfc_4180():
    exporter = SampleExporter([['Szkoła "Łódź", nr 5', None, False, "a\nb"]])
    response = exporter.as_csv()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b'"Szko\xc5\x82a ""\xc5\x81\xc3\xb3d\xc5\xba"", nr 5",,no,"a\nb"\r\n' in response.content


@pytest.mark.parametrize("value", DANGEROUS)
def test_csv_escapes_formula_looking_cells(value):
    rows = read_csv(SampleExporter([[value, -5, True, ""]]).as_csv())
    assert rows[1][0] == "'" + value
    assert rows[1][1] == "-5"  # a number is not a formula


def test_xlsx_header_is_bold_and_values_keep_their_types():
    exporter = SampleExporter(
        [
            ["Žluťoučký kůň", 12, True, datetime.date(2025, 3, 1)],
            ["Łódź", Decimal("2.5"), False, None],
        ]
    )
    sheet = read_xlsx(exporter.as_xlsx())
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "number of pupils", "active", "Datum")
    assert rows[1] == ("Žluťoučký kůň", 12, True, datetime.datetime(2025, 3, 1))
    assert rows[2][:3] == ("Łódź", 2.5, False)
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.title == "Přehled škol"
    assert sheet.freeze_panes == "A2"
    assert 8 <= sheet.column_dimensions["A"].width <= 60


@pytest.mark.parametrize("value", DANGEROUS)
def test_xlsx_escapes_formula_looking_cells(value):
    sheet = read_xlsx(SampleExporter([[value, -5, True, ""]]).as_xlsx())
    # Some XML readers turn a lone CR into LF; what matters is the leading apostrophe.
    assert sheet["A2"].value.replace("\r", "\n") == "'" + value.replace("\r", "\n")
    assert sheet["A2"].data_type == "s"  # text, never a formula
    assert sheet["B2"].value == -5


def test_xlsx_drops_characters_xml_cannot_hold():
    sheet = read_xlsx(SampleExporter([["bell\x07", 1, True, ""]]).as_xlsx())
    assert sheet["A2"].value == "bell"


def test_aware_datetimes_are_written_in_local_time(settings):
    moment = datetime.datetime(2025, 1, 1, 12, 0, tzinfo=datetime.UTC)  # 13:00 in Prague
    exporter = SampleExporter([["x", 1, True, moment]])
    assert read_csv(exporter.as_csv())[1][3] == "2025-01-01 13:00:00"
    assert read_xlsx(exporter.as_xlsx())["D2"].value == datetime.datetime(2025, 1, 1, 13, 0)


def test_response_chooses_format_and_names_the_file_with_the_date():
    exporter = SampleExporter([])
    today = timezone.localdate().isoformat()
    csv_response = exporter.response("csv")
    assert csv_response["Content-Disposition"] == f'attachment; filename="prehled-skol-{today}.csv"'
    xlsx_response = exporter.response("xlsx")
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx_response["Content-Disposition"].endswith(f'-{today}.xlsx"')
    with pytest.raises(ValueError):
        exporter.response("pdf")


def test_unescape_undoes_escape():
    for value in [*DANGEROUS, "'quoted", "plain", ""]:
        assert unescape_formula(escape_formula(value)) == value


def test_phone_numbers_are_not_marked_as_text():
    assert escape_formula("+420 777 123 456") == "+420 777 123 456"
    assert escape_formula("+48 (22) 123-45-67") == "+48 (22) 123-45-67"
    assert escape_formula("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0"
