"""A plan in files: the import workbook round trip, its checks, and the plan's exports."""

import csv
import datetime
import io
import re
import sys
import zlib
from decimal import Decimal

import docx
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from spolu.actors.models import Organisation, OrganisationKind, Person, Position
from spolu.core.documents import ExportUnavailable
from spolu.plans.models import (
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    Plan,
    PlanStatus,
    ProgressUpdate,
    Task,
    TaskStatus,
)
from spolu.plans.transfer import (
    TasksExporter,
    do_import_plan,
    parse_plan_file,
    plan_docx,
    plan_html,
    plan_pdf,
    plan_template_xlsx,
    plan_xlsx,
)

TODAY = datetime.date(2025, 6, 1)
GOAL_HEADER = ["Code", "Title", "Description"]
MEASURE_HEADER = [
    "Goal code",
    "Code",
    "Title",
    "Description",
    "Lead implementer",
    "Partner organisations",
    "Person responsible",
    "Start",
    "End",
    "Status",
    "Budget",
    "Currency",
    "Funding source",
    "Funding note",
    "Education levels",
    "Target groups",
]


class PlanBuilder:
    """A plan of territory A with a school, an NGO, a coordinator and goals G1, G2."""

    def __init__(self, territory):
        self.territory = territory
        with scope(territory=territory):
            self.school = Organisation.objects.create(
                territory=territory,
                name="Základní škola Alfov",
                short_name="ZŠ Alfov",
                kind=OrganisationKind.PRIMARY_SCHOOL,
                ico="00123456",
            )
            self.ngo = Organisation.objects.create(
                territory=territory, name="Spolek Šance", kind=OrganisationKind.NGO
            )
            self.person = Person.objects.create(
                territory=territory, full_name="Jana Nová", position=Position.COORDINATOR
            )
            self.plan = Plan.objects.create(
                territory=territory,
                title="Místní plán inkluze 2024–2027",
                period_start=datetime.date(2024, 1, 1),
                period_end=datetime.date(2027, 12, 31),
                coordinator=self.person,
            )
            self.goals = [
                Goal.objects.create(
                    territory=territory, plan=self.plan, code=code, title=title, description=text
                )
                for code, title, text in (
                    ("G1", "Každé dítě v mateřské škole", "Předškolní vzdělávání.\nDruhý řádek."),
                    ("G2", "Podpora žáků", ""),
                )
            ]
        self.count = 0

    def add_measures(self, count, **fields):
        """Measures with a partner, a progress update, an indicator with a value and a task.

        Written in bulk: a plan of sixty measures is built in a handful of queries.
        """
        territory = self.territory
        with scope(territory=territory):
            measures = []
            for _ in range(count):
                self.count += 1
                goal = self.goals[self.count % 2]
                measures.append(
                    Measure(
                        territory=territory,
                        plan=self.plan,
                        goal=goal,
                        code=f"{goal.code}.{self.count}",
                        title=fields.get("title", f"Opatření {self.count}"),
                        description="Popis opatření.\nNa dva řádky.",
                        start=datetime.date(2024, 9, 1),
                        end=fields.get("end", datetime.date(2026, 6, 30)),
                        status=fields.get("status", MeasureStatus.IN_PROGRESS),
                        budget_amount=Decimal("125000.50"),
                        budget_currency="CZK",
                        funding_source="municipal",
                        funding_note="Rozpočet obce",
                        education_levels=["preschool", "primary"],
                        target_groups=["children", "parents"],
                        lead_implementer=self.school,
                        responsible=self.person,
                        last_progress_on=TODAY - datetime.timedelta(days=10),
                    )
                )
            Measure.objects.bulk_create(measures)
            measures = list(
                Measure.objects.filter(plan=self.plan, code__in=[m.code for m in measures])
            )
            Measure.partners.through.objects.bulk_create(
                Measure.partners.through(measure_id=m.pk, organisation_id=self.ngo.pk)
                for m in measures
            )
            ProgressUpdate.objects.bulk_create(
                ProgressUpdate(
                    territory=territory,
                    measure=m,
                    date=TODAY - datetime.timedelta(days=10),
                    status=m.status,
                    narrative=f"Proběhly tři schůzky ({m.code}).",
                )
                for m in measures
            )
            Indicator.objects.bulk_create(
                Indicator(
                    territory=territory,
                    plan=self.plan,
                    measure=m,
                    name=f"Podíl dětí v MŠ ({m.code})",
                    unit="%",
                    baseline_value=Decimal("72"),
                    baseline_date=datetime.date(2024, 1, 1),
                    target_value=Decimal("90"),
                    target_date=datetime.date(2027, 12, 31),
                )
                for m in measures
            )
            IndicatorValue.objects.bulk_create(
                IndicatorValue(
                    territory=territory,
                    indicator=indicator,
                    date=datetime.date(2025, 1, 1),
                    value=Decimal("78.5"),
                )
                for indicator in Indicator.objects.filter(measure__in=measures)
            )
            Task.objects.bulk_create(
                Task(
                    territory=territory,
                    title=f"Připravit schůzku {m.code}",
                    measure=m,
                    owner_organisation=self.school,
                    owner_person=self.person,
                    due=TODAY + datetime.timedelta(days=30),
                )
                for m in measures
            )
        return self

    def snapshot(self):
        """Every stored value of the plan's goals and measures, to prove nothing changed."""
        with scope(territory=self.territory):
            return (
                list(Goal.objects.filter(plan=self.plan).order_by("pk").values()),
                list(Measure.objects.filter(plan=self.plan).order_by("pk").values()),
                sorted(
                    Measure.partners.through.objects.filter(measure__plan=self.plan).values_list(
                        "measure_id", "organisation_id"
                    )
                ),
            )


@pytest.fixture
def builder(cast):
    return PlanBuilder(cast.territory_a).add_measures(2)


def workbook(goals=(), measures=(), goal_header=GOAL_HEADER, measure_header=MEASURE_HEADER):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    for row in [goal_header, *goals]:
        sheet.append(row)
    sheet = book.create_sheet("Measures")
    for row in [measure_header, *measures]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def measure_row(goal="G1", code="G1.9", title="Nové opatření", **cells):
    values = {"Goal code": goal, "Code": code, "Title": title, **cells}
    return [values.get(column) for column in MEASURE_HEADER]


def pdf_objects(pdf: bytes) -> str:
    """The PDF's objects as text, object streams inflated (pypdf is not a dependency)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    return b"\n".join(parts).decode("latin-1")


def count_queries(function):
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context)


# The import workbook ------------------------------------------------------------------------


def test_template_round_trip_changes_nothing(builder):
    builder.add_measures(1, title="=HYPERLINK(1)")
    before = builder.snapshot()

    preview = parse_plan_file(io.BytesIO(plan_template_xlsx(builder.plan)), plan=builder.plan)

    assert preview.errors == []
    assert preview.is_valid and not preview.has_changes
    assert sorted(r.code for r in preview.goals_unchanged) == ["G1", "G2"]
    assert sorted(r.code for r in preview.measures_unchanged) == ["G1.2", "G2.1", "G2.3"]
    assert preview.goals_not_in_file == preview.measures_not_in_file == []
    counts = do_import_plan(preview, acting_user=None)
    assert counts["measures_created"] == counts["measures_updated"] == 0
    assert counts["measures_unchanged"] == 3
    assert builder.snapshot() == before


def test_template_lists_allowed_values_and_escapes_formulas(builder):
    builder.add_measures(1, title="=cmd|' /C calc'!A0")
    book = openpyxl.load_workbook(io.BytesIO(plan_template_xlsx(builder.plan)))

    assert book.sheetnames == ["Goals", "Measures", "Instructions"]
    measures = book["Measures"]
    assert [c.value for c in measures[1]] == MEASURE_HEADER
    titles = [row[2] for row in measures.iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in titles
    assert all(not str(t).startswith("=") for t in titles)
    first = next(measures.iter_rows(min_row=2, values_only=True))
    assert first[4:7] == ("Základní škola Alfov", "Spolek Šance", "Jana Nová")
    assert first[9] == "In progress"
    assert first[14:16] == ("Preschool; Primary", "Children and pupils; Parents and families")
    assert len(measures.data_validations.dataValidation) == 4
    instructions = [v for row in book["Instructions"].iter_rows(values_only=True) for v in row]
    assert "in_progress" in instructions and "In progress" in instructions
    assert "EU programme" in instructions


def test_file_with_errors_reports_every_error_and_changes_nothing(builder):
    before = builder.snapshot()
    file = workbook(
        goals=[
            ["G3", "", "Bez názvu"],  # line 2: no title
            ["G1", "Duplicitní", ""],  # line 3: fine (updates G1)
            ["G1", "Znovu", ""],  # line 4: duplicate code
        ],
        measures=[
            measure_row(goal="G7", code="M1"),  # line 2: unknown goal
            measure_row(code="M2", **{"Lead implementer": "Neznámá škola"}),  # line 3
            measure_row(code="M3", Start="31.2.2025"),  # line 4: not a date
            measure_row(code="M4", Start="2025-09-01", End="1.9.2024"),  # line 5: end < start
            measure_row(code="M5", End=datetime.datetime(2030, 1, 1)),  # line 6: outside
            measure_row(code="M6", Status="finished", Currency="USD"),  # line 7: two errors
            measure_row(code="M7", Budget="hodně"),  # line 8: bad amount
            measure_row(code="M8", **{"Education levels": "primary; university"}),  # line 9
            measure_row(code="M9", **{"Person responsible": "Nikdo Neznámý"}),  # line 10
            measure_row(code="M9"),  # line 11: duplicate code
            measure_row(code="", title=""),  # line 12: no code, no title
            measure_row(code="M10", **{"Partner organisations": "ZŠ Alfov; Nikdo"}),  # line 13
        ],
    )

    preview = parse_plan_file(file, plan=builder.plan)

    found = {(e.sheet, e.line, e.column) for e in preview.errors}
    assert found == {
        ("Goals", 2, "Title"),
        ("Goals", 4, "Code"),
        ("Measures", 2, "Goal code"),
        ("Measures", 3, "Lead implementer"),
        ("Measures", 4, "Start"),
        ("Measures", 5, "End"),
        ("Measures", 6, "End"),
        ("Measures", 7, "Status"),
        ("Measures", 7, "Currency"),
        ("Measures", 8, "Budget"),
        ("Measures", 9, "Education levels"),
        ("Measures", 10, "Person responsible"),
        ("Measures", 11, "Code"),
        ("Measures", 12, "Code"),
        ("Measures", 12, "Title"),
        ("Measures", 13, "Partner organisations"),
    }
    assert len(preview.errors) == len(found)
    messages = {(e.line, e.column): e.message for e in preview.errors if e.sheet == "Measures"}
    assert "is already on line 10" in messages[(11, "Code")]
    assert "“Neznámá škola”" in messages[(3, "Lead implementer")]
    assert "before the start" in messages[(5, "End")]
    assert "outside the plan's period" in messages[(6, "End")]
    assert not preview.is_valid
    with pytest.raises(ValueError):
        do_import_plan(preview, acting_user=None)
    assert builder.snapshot() == before


def test_valid_file_creates_goals_and_measures_and_reimport_adds_nothing(builder, cast):
    file = workbook(
        goals=[["G3", "Nový cíl", "Popis"]],
        measures=[
            measure_row(
                goal="G3",
                code="G3.1",
                title="Doučování",
                **{
                    # By IČO typed as a number, by short name without diacritics, by name.
                    "Lead implementer": 123456,
                    "Partner organisations": "zs alfov; SPOLEK SANCE",
                    "Person responsible": "jana nova",
                    "Start": "1.9.2025",
                    "End": datetime.datetime(2026, 6, 30),
                    "Status": "in_progress",
                    "Budget": "12 500,50",
                    "Currency": "CZK",
                    "Funding source": "EU programme",
                    "Education levels": "Primary; out_of_school",
                    "Target groups": "children",
                },
            ),
            measure_row(goal="G1", code="G1.7", title="Kroužky"),
        ],
    )
    user = cast.user("a_coordinator")

    preview = parse_plan_file(file, plan=builder.plan)
    assert preview.errors == []
    assert [r.code for r in preview.goals_to_create] == ["G3"]
    assert [r.code for r in preview.measures_to_create] == ["G3.1", "G1.7"]
    assert {g.code for g in preview.goals_not_in_file} == {"G1", "G2"}
    assert {m.code for m in preview.measures_not_in_file} == {"G1.2", "G2.1"}
    counts = do_import_plan(preview, acting_user=user)
    assert counts["goals_created"] == 1 and counts["measures_created"] == 2
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (3, 0, 0)

    with scope(territory=cast.territory_a):
        measure = Measure.objects.get(plan=builder.plan, code="G3.1")
        assert measure.goal.title == "Nový cíl"
        assert measure.lead_implementer == builder.school
        assert set(measure.partners.all()) == {builder.school, builder.ngo}
        assert measure.responsible == builder.person
        assert (measure.start, measure.end) == (
            datetime.date(2025, 9, 1),
            datetime.date(2026, 6, 30),
        )
        assert measure.status == MeasureStatus.IN_PROGRESS
        assert measure.budget_amount == Decimal("12500.50")
        assert measure.funding_source == "eu"
        assert measure.education_levels == ["primary", "out_of_school"]
        assert Measure.objects.get(plan=builder.plan, code="G1.7").status == MeasureStatus.PLANNED

    file.seek(0)
    again = parse_plan_file(file, plan=builder.plan)
    assert again.is_valid and not again.has_changes
    do_import_plan(again, acting_user=user)
    with scope(territory=cast.territory_a):
        assert Measure.objects.filter(plan=builder.plan).count() == 4
        assert Goal.objects.filter(plan=builder.plan).count() == 3


def test_changed_row_updates_only_that_measure_and_keeps_related(builder, cast):
    with scope(territory=cast.territory_a):
        first, second = Measure.objects.filter(plan=builder.plan).order_by("code")
        first.related.set([second])
    book = openpyxl.load_workbook(io.BytesIO(plan_template_xlsx(builder.plan)))
    book["Measures"]["C2"] = "Přejmenované opatření"
    book["Measures"]["F2"] = None  # no partners any more
    buffer = io.BytesIO()
    book.save(buffer)

    preview = parse_plan_file(buffer, plan=builder.plan)

    assert [r.code for r in preview.measures_to_update] == [first.code]
    assert preview.measures_to_update[0].changes == [
        ("Title", first.title, "Přejmenované opatření"),
        ("Partner organisations", "Spolek Šance", ""),
    ]
    do_import_plan(preview, acting_user=None)
    with scope(territory=cast.territory_a):
        first.refresh_from_db()
        assert first.title == "Přejmenované opatření"
        assert list(first.partners.all()) == []
        assert list(first.related.all()) == [second]


def test_closed_plan_is_refused(builder, cast):
    file = workbook(measures=[measure_row()])
    preview = parse_plan_file(file, plan=builder.plan)
    assert preview.is_valid
    with scope(territory=cast.territory_a):
        Plan.objects.filter(pk=builder.plan.pk).update(status=PlanStatus.CLOSED)
        builder.plan.refresh_from_db()
    # Closed between the preview and the confirmation.
    with pytest.raises(ValueError):
        do_import_plan(preview, acting_user=None)
    again = parse_plan_file(file, plan=builder.plan)
    assert not again.is_valid
    assert "closed" in again.errors[0].message
    with pytest.raises(ValueError):
        do_import_plan(again, acting_user=None)
    with scope(territory=cast.territory_a):
        assert not Measure.objects.filter(code="G1.9").exists()


def test_a_file_that_is_not_a_workbook_is_one_error(builder):
    preview = parse_plan_file(io.BytesIO(b"code;title\nG1;x\n"), plan=builder.plan)
    assert [(e.line, e.message) for e in preview.errors] == [
        (None, "The file could not be read. Save it as XLSX and upload it again.")
    ]


# Exports ------------------------------------------------------------------------------------


def test_plan_xlsx_has_a_sheet_per_level_and_escapes_formulas(builder):
    builder.add_measures(1, title="=cmd")
    book = openpyxl.load_workbook(io.BytesIO(plan_xlsx(builder.plan, today=TODAY)))

    assert book.sheetnames == [
        "Plan",
        "Goals",
        "Measures",
        "Tasks",
        "Indicators",
        "Indicator values",
        "Progress updates",
    ]
    titles = [row[2] for row in book["Measures"].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd" in titles
    assert book["Tasks"].max_row == 4
    assert book["Indicator values"]["D2"].value == 78.5
    assert book["Progress updates"]["D2"].value.startswith("Proběhly")


def test_tasks_csv_escapes_formulas_and_flags_overdue(builder, cast):
    with scope(territory=cast.territory_a):
        Task.objects.create(
            territory=cast.territory_a,
            title='=HYPERLINK("http://evil")',
            due=TODAY - datetime.timedelta(days=1),
            status=TaskStatus.OPEN,
        )
        exporter = TasksExporter(Task.objects.all(), today=TODAY)
        rows = list(csv.reader(io.StringIO(exporter.csv_bytes().decode("utf-8-sig"))))
    assert rows[0] == [
        "Title",
        "Measure code",
        "Organisation responsible",
        "Person responsible",
        "Due date",
        "Status",
        "Overdue",
        "Completed on",
    ]
    evil = next(row for row in rows if "HYPERLINK" in row[0])
    assert evil[0] == '\'=HYPERLINK("http://evil")'
    assert evil[6] == "yes"
    measure_task = next(row for row in rows if row[0] == "Připravit schůzku G2.1")
    assert measure_task[1:7] == [
        "G2.1",
        "Základní škola Alfov",
        "Jana Nová",
        "2025-07-01",
        "Open",
        "no",
    ]


def test_pdf_is_made_by_weasyprint_and_flags_measures_at_risk(cast):
    builder = PlanBuilder(cast.territory_a).add_measures(1)
    builder.add_measures(1, end=datetime.date(2025, 1, 31), title="Pozdě")

    html = plan_html(builder.plan, today=TODAY)
    pdf = plan_pdf(builder.plan, today=TODAY)

    assert "At risk:" in html and "Its end date (01/31/2025) has passed" in html
    assert "http" not in html
    assert "Proběhly tři schůzky (G2.1)." in html
    assert "72 % (01/01/2024)" in html and "78.5 % (01/01/2025)" in html
    assert pdf.startswith(b"%PDF")
    assert "/Producer (WeasyPrint" in pdf_objects(pdf)
    assert len(pdf) > 5000


def test_docx_has_headings_and_tables(builder, cast):
    with scope(territory=cast.territory_a):
        # A control character pasted from elsewhere, which XML does not allow.
        Measure.objects.filter(code="G2.1").update(description="Zvonek\x07 zvoní.")

    document = docx.Document(io.BytesIO(plan_docx(builder.plan, today=TODAY)))

    headings = [(p.style.name, p.text) for p in document.paragraphs if "Heading" in p.style.name]
    assert ("Heading 1", "G1 Každé dítě v mateřské škole") in headings
    assert ("Heading 1", "G2 Podpora žáků") in headings
    assert {text.split()[0] for style, text in headings if style == "Heading 2"} == {
        "G1.2",
        "G2.1",
    }
    assert document.paragraphs[0].text == builder.plan.title
    assert document.core_properties.title == builder.plan.title
    assert "Zvonek zvoní." in [p.text for p in document.paragraphs]
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"Základní škola Alfov", "Spolek Šance", "Jana Nová", "125,000.50 CZK"} <= cells


# Queries ------------------------------------------------------------------------------------


def test_exports_and_import_read_a_fixed_number_of_queries(cast, django_assert_num_queries):
    builder = PlanBuilder(cast.territory_a).add_measures(5)
    plan = builder.plan
    files = {}

    def tasks_csv():
        with scope(territory=cast.territory_a):
            TasksExporter(Task.objects.filter(measure__plan=plan), today=TODAY).csv_bytes()

    exports = {
        # organisations, people, goals, measures, their partners
        "template": lambda: plan_template_xlsx(plan),
        # organisations, people, goals, measures, their partners
        "parse": lambda: parse_plan_file(io.BytesIO(files["template"]), plan=plan),
        # coordinator, goals, measures (with risk), partners, related measures, tasks,
        # indicators, their values, progress updates, their attachments
        "xlsx": lambda: plan_xlsx(plan, today=TODAY),
        # the same without tasks, and the territory's name
        "html": lambda: plan_html(plan, today=TODAY),
        "docx": lambda: plan_docx(plan, today=TODAY),
        # tasks with their measure, organisation and person
        "tasks": tasks_csv,
    }
    files["template"] = plan_template_xlsx(plan)
    small = {}
    for name, export in exports.items():
        plan.refresh_from_db()
        small[name] = count_queries(export)
    assert small == {"template": 5, "parse": 5, "xlsx": 10, "html": 10, "docx": 10, "tasks": 1}

    builder.add_measures(55)
    files["template"] = plan_template_xlsx(plan)
    for name, export in exports.items():
        plan.refresh_from_db()
        with django_assert_num_queries(small[name]):
            export()


def test_pdf_without_weasyprint_is_a_clear_error(builder, monkeypatch):
    # What a server without Pango looks like to Python: the import fails.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(ExportUnavailable, match="PDF export is not available"):
        plan_pdf(builder.plan)
