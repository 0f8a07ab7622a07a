"""Minutes: the sanitiser, the PDF and DOCX, and the e-mail that carries them."""

import datetime
import io
import logging
import sys
import zipfile

import docx
import pytest
from django.core import mail
from django.utils import translation
from django_scopes import scope

from spolu.actors.models import Organisation, OrganisationKind, Person, Position
from spolu.meetings.minutes import (
    ExportUnavailable,
    do_send_minutes,
    minutes_document,
    minutes_docx,
    minutes_filename,
    minutes_html,
    minutes_pdf,
    minutes_text,
    sanitize_minutes,
)
from spolu.meetings.models import (
    AgendaItem,
    AgendaKind,
    Attendance,
    AttendanceStatus,
    Correction,
    Decision,
    Meeting,
    MeetingStatus,
    Platform,
    PlatformKind,
)
from spolu.plans.models import Task

# 13:00 UTC is 14:00 in Prague and Warsaw in March.
STARTS_AT = datetime.datetime(2025, 3, 6, 13, 0, tzinfo=datetime.UTC)
STATUSES = [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT]

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<p style="color:red" onclick="alert(1)">styled</p>',
]
STORED_ATTACK = (
    "<p>Před útokem</p><script>alert(1)</script><img src=x onerror=alert(2)>"
    '<iframe src="https://evil.example"></iframe><svg onload=alert(3)></svg>'
    '<a href="javascript:alert(4)">odkaz</a><p>&lt;script&gt;alert(5)&lt;/script&gt;</p>'
)


def build_meeting(territory, *, items=2, attendees=3, name="Plenární skupina"):
    """A held meeting with agenda items, attendance, a decision with a task per item."""
    with scope(territory=territory):
        school = Organisation.objects.create(
            territory=territory, name="ZŠ Alfov", kind=OrganisationKind.PRIMARY_SCHOOL
        )
        facilitator = Person.objects.create(
            territory=territory, full_name="Hana Vedoucí", position=Position.COORDINATOR
        )
        platform = Platform.objects.create(
            territory=territory, name=name, kind=PlatformKind.PLENARY, facilitator=facilitator
        )
        meeting = Meeting.objects.create(
            territory=territory,
            platform=platform,
            title="Březnové setkání",
            starts_at=STARTS_AT,
            ends_at=STARTS_AT + datetime.timedelta(minutes=90),
            place="Radnice, zasedací místnost",
            status=MeetingStatus.HELD,
            closed_at=STARTS_AT + datetime.timedelta(days=1),
        )
        for number in range(attendees):
            person = Person.objects.create(
                territory=territory,
                full_name=f"Osoba {number:02d}",
                position=Position.HEAD,
                email=f"osoba{number:02d}@example.org",
            )
            person.organisations.add(school)
            Attendance.objects.create(
                territory=territory,
                meeting=meeting,
                person=person,
                organisation=school,
                status=STATUSES[number % 3],
            )
        for number in range(items):
            item = AgendaItem.objects.create(
                territory=territory,
                meeting=meeting,
                position=number,
                kind=AgendaKind.TOPIC,
                title=f"Bod {number:02d}",
                minutes=f"<p>Zápis k bodu {number:02d}</p><ul><li>první</li><li>druhý</li></ul>",
            )
            decision = Decision.objects.create(
                territory=territory,
                meeting=meeting,
                agenda_item=item,
                text=f"Usnesení {number:02d}",
            )
            Task.objects.create(
                territory=territory,
                title=f"Úkol {number:02d}",
                decision=decision,
                owner_person=facilitator,
                owner_organisation=school,
                due=datetime.date(2025, 4, 30),
            )
    return meeting


def store_raw(meeting, html):
    """Minutes written straight to the database, as if the sanitiser had been bypassed."""
    with scope(territory=meeting.territory):
        AgendaItem.objects.filter(meeting=meeting, position=0).update(minutes=html)


def docx_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("word/document.xml").decode()


# Sanitising ----------------------------------------------------------------------------------


@pytest.mark.parametrize("html", XSS)
def test_sanitiser_removes_scripts_handlers_and_styles(html):
    clean = sanitize_minutes(html)

    assert "<script" not in clean and "alert(1)" not in clean
    assert "onerror" not in clean and "onclick" not in clean
    assert "javascript:" not in clean and "style=" not in clean and "<img" not in clean


def test_sanitiser_keeps_simple_formatting_and_safe_links():
    html = (
        '<h3 id="x">Nadpis</h3><p class="c" lang="cs">Text <strong>tučně</strong> <em>kurzíva</em>'
        " <u>podtržení</u><br>řádek</p><!-- komentář --><blockquote>citace</blockquote>"
        '<ol><li>jedna</li></ol><a href="https://example.org" target="_blank" title="t">web</a>'
        '<a href="mailto:info@example.org">napište</a><a href="/relativni">rel</a>'
        '<a href="data:text/html,x">data</a><table><tr><td>buňka</td></tr></table>'
    )

    assert sanitize_minutes(html) == (
        "<h3>Nadpis</h3><p>Text <strong>tučně</strong> <em>kurzíva</em> <u>podtržení</u><br>"
        "řádek</p><blockquote>citace</blockquote><ol><li>jedna</li></ol>"
        '<a href="https://example.org" rel="noopener noreferrer">web</a>'
        '<a href="mailto:info@example.org" rel="noopener noreferrer">napište</a>'
        '<a rel="noopener noreferrer">rel</a><a rel="noopener noreferrer">data</a>buňka'
    )
    assert sanitize_minutes("") == ""


def test_minutes_text_is_plain_text_with_lists_and_links():
    html = (
        "<h3>Úvod</h3><p>První <strong>bod</strong><br>druhý řádek</p>"
        "<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol><li>x</li><li>y</li></ol>"
        '<p>Viz <a href="https://example.org/a">web</a> a <a href="mailto:i@example.org">'
        "i@example.org</a>.</p><blockquote><p>Citace</p></blockquote>"
    )

    assert minutes_text(html) == (
        "Úvod\n\nPrvní bod\ndruhý řádek\n\n• a\n• b\n  • c\n\n1. x\n2. y\n\n"
        "Viz web (https://example.org/a) a i@example.org.\n\n    Citace"
    )


def test_minutes_text_never_holds_markup():
    text = minutes_text(STORED_ATTACK)

    assert "<" not in text and "alert(1)" not in text and "alert(2)" not in text
    assert "Před útokem" in text and "odkaz" in text
    # What a writer typed as text stays readable, but cannot be parsed as a tag.
    assert "‹script>alert(5)‹/script>" in text


# The document --------------------------------------------------------------------------------


def test_html_shows_header_attendance_items_decisions_and_tasks(cast):
    meeting = build_meeting(cast.territory_a, items=2, attendees=4)

    html = minutes_html(meeting)

    assert "Minutes: Plenární skupina" in html and "Březnové setkání" in html
    assert "March 6, 2025" in html and "2 p.m. – 3:30 p.m." in html  # Europe/Prague
    assert "Radnice, zasedací místnost" in html and "Hana Vedoucí" in html
    assert "Present (2)" in html and "Excused (1)" in html and "Absent (1)" in html
    assert "Osoba 00, ZŠ Alfov" in html
    assert "Bod 00" in html and "Bod 01" in html
    assert "<p>Zápis k bodu 01</p><ul><li>první</li><li>druhý</li></ul>" in html
    assert "Usnesení 01" in html and "Úkol 01" in html
    assert "Hana Vedoucí (ZŠ Alfov), due 04/30/2025" in html
    assert "the minutes await approval" in html
    assert "Corrections after approval" not in html
    assert "http" not in html  # nothing for WeasyPrint to fetch


def test_time_is_local_to_the_territory_and_corrections_follow_approval(cast):
    meeting = build_meeting(cast.territory_b, items=1, attendees=1)
    with scope(territory=cast.territory_b):
        Meeting.objects.filter(pk=meeting.pk).update(
            status=MeetingStatus.APPROVED, approved_at=STARTS_AT + datetime.timedelta(days=8)
        )
        Correction.objects.create(
            territory=cast.territory_b,
            meeting=meeting,
            text="Oprava <b>jména</b>",
            author=cast.user("b_coordinator"),
        )

    with translation.override("pl"):
        html = minutes_html(meeting)

    assert "6 marca 2025" in html and "14:00 – 15:30" in html  # Europe/Warsaw
    assert "14-03-2025" in html  # approved on
    assert 'class="status approved"' in html
    assert "Oprava &lt;b&gt;jména&lt;/b&gt;" in html and "<b>" not in html


def test_stored_script_is_never_markup_in_html_or_docx(cast):
    meeting = build_meeting(cast.territory_a, items=1)
    store_raw(meeting, STORED_ATTACK)

    html = minutes_html(meeting)
    word = minutes_docx(meeting)

    for forbidden in ("<script", "<img", "<iframe", "<svg", "onerror", "onload", "javascript:"):
        assert forbidden not in html
    assert "alert(1)" not in html and "alert(2)" not in html
    assert "<p>Před útokem</p>" in html
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in html  # typed text, shown as text
    xml = docx_xml(word)
    assert "<script" not in xml and "&lt;script" not in xml and "<w:script" not in xml
    assert "alert(1)" not in xml and "alert(2)" not in xml
    texts = [p.text for p in docx.Document(io.BytesIO(word)).paragraphs]
    assert "Před útokem" in texts
    assert not any("<" in text for text in texts)


def test_pdf_is_an_a4_pdf(cast):
    meeting = build_meeting(cast.territory_a, items=3)
    store_raw(meeting, STORED_ATTACK + '<p><a href="https://example.org">web</a></p>')

    pdf = minutes_pdf(meeting)

    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5000


def test_pdf_without_weasyprint_is_a_clear_error(cast, monkeypatch):
    meeting = build_meeting(cast.territory_a, items=1)
    monkeypatch.setitem(sys.modules, "weasyprint", None)

    with pytest.raises(ExportUnavailable, match="PDF export is not available"):
        minutes_pdf(meeting)


def test_docx_has_the_agenda_minutes_decisions_and_tasks(cast):
    meeting = build_meeting(cast.territory_a, items=2, attendees=3)
    store_raw(meeting, "<h3>Shrnutí</h3><p><strong>Tučně</strong> a dál</p><ul><li>jedna</li></ul>")

    document = docx.Document(io.BytesIO(minutes_docx(meeting)))

    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    texts = [text for _style, text in paragraphs]
    assert document.core_properties.title == "Minutes: Plenární skupina"
    assert ("Heading 2", "1. Bod 00") in paragraphs and ("Heading 2", "2. Bod 01") in paragraphs
    assert ("Heading 3", "Shrnutí") in paragraphs
    assert ("List Bullet", "jedna") in paragraphs
    assert "Tučně a dál" in texts
    assert "The meeting was held; the minutes await approval." in texts
    bold = next(p for p in document.paragraphs if p.text == "Tučně a dál").runs[0]
    assert bold.bold
    assert ("List Bullet", "první") in paragraphs  # the second item's list
    assert "1. Usnesení 00" in texts and "1. Usnesení 01" in texts
    assert "Task: Úkol 00 (Hana Vedoucí (ZŠ Alfov), due 04/30/2025) – Open" in texts
    assert ("List Bullet", "Osoba 00, ZŠ Alfov") in paragraphs
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"March 6, 2025", "2 p.m. – 3:30 p.m.", "Radnice, zasedací místnost"} <= cells


@pytest.mark.parametrize("size", [2, 20])
def test_document_reads_a_fixed_number_of_queries(cast, django_assert_num_queries, size):
    meeting = build_meeting(cast.territory_a, items=size, attendees=size)
    with scope(territory=cast.territory_a):
        Correction.objects.create(territory=cast.territory_a, meeting=meeting, text="Oprava")

    # The meeting, agenda items, attendance, decisions, their tasks, corrections.
    with django_assert_num_queries(6):
        document = minutes_document(meeting)
    with django_assert_num_queries(6):
        minutes_html(meeting)
    with django_assert_num_queries(6):
        minutes_docx(meeting)

    assert len(document.items) == size
    assert sum(len(group.people) for group in document.attendance) == size
    assert all(len(item.decisions[0].tasks) == 1 for item in document.items)


# E-mail --------------------------------------------------------------------------------------


def test_minutes_are_mailed_to_attendees_with_pdf_and_docx(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://spolu.example/"
    meeting = build_meeting(cast.territory_a, items=2, attendees=3)
    store_raw(meeting, STORED_ATTACK)
    with scope(territory=cast.territory_a):
        left = Person.objects.create(
            territory=cast.territory_a,
            full_name="Odešlá",
            position=Position.HEAD,
            email="odesla@example.org",
            has_left=True,
        )
        silent = Person.objects.create(
            territory=cast.territory_a, full_name="Bez adresy", position=Position.HEAD
        )
        for person in (left, silent):
            Attendance.objects.create(
                territory=cast.territory_a, meeting=meeting, person=person, status="present"
            )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = do_send_minutes(meeting, acting_user=cast.user("a_coordinator"))
        assert mail.outbox == []  # nothing leaves before the transaction commits

    assert sent == 3 and len(callbacks) == 1
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "osoba00@example.org",
        "osoba01@example.org",
        "osoba02@example.org",
    ]
    message = mail.outbox[0]
    # The territory's language (Czech for a Czech territory), whatever the request's.
    # (Only the date is checked: the subject's words follow the Czech catalogue.)
    assert message.subject.endswith(": Plenární skupina, 6. března 2025")
    assert f"https://spolu.example/t/alfov/meetings/{meeting.pk}/" in message.body
    assert "Plenární skupina" in message.body
    for text in ("Před útokem", "Zápis k bodu", "Usnesení", "script", "alert", "<"):
        assert text not in message.body
    names = [name for name, _content, _type in message.attachments]
    # Named in the territory's language: Czech "zápis" for a Czech territory.
    with translation.override("cs"):
        stem = minutes_filename(meeting, "pdf").rsplit(".", 1)[0]
    assert stem.endswith("plenarni-skupina-2025-03-06")
    assert names == [f"{stem}.pdf", f"{stem}.docx"]
    (_, pdf, pdf_type), (_, word, word_type) = message.attachments
    assert pdf.startswith(b"%PDF") and pdf_type == "application/pdf"
    assert word_type.endswith("wordprocessingml.document")
    assert "<script" not in docx_xml(word) and "alert(1)" not in docx_xml(word)


def test_minutes_go_out_in_polish_for_a_polish_territory(cast, django_capture_on_commit_callbacks):
    meeting = build_meeting(cast.territory_b, items=1, attendees=1, name="Zespół")

    with django_capture_on_commit_callbacks(execute=True):
        do_send_minutes(meeting, acting_user=cast.user("b_coordinator"))

    (message,) = mail.outbox
    assert message.subject.endswith(": Zespół, 6 marca 2025")
    assert f"/t/betow/meetings/{meeting.pk}/" in message.body


def test_without_pdf_the_docx_goes_alone_and_a_warning_is_logged(
    cast, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    meeting = build_meeting(cast.territory_a, items=1, attendees=1)
    monkeypatch.setitem(sys.modules, "weasyprint", None)

    with caplog.at_level(logging.WARNING, logger="spolu.meetings.minutes"):
        with django_capture_on_commit_callbacks(execute=True):
            do_send_minutes(meeting, acting_user=cast.user("a_coordinator"))

    (message,) = mail.outbox
    assert [name.rsplit(".", 1)[1] for name, _c, _t in message.attachments] == ["docx"]
    assert "sent without the PDF" in caplog.text


def test_no_attendee_with_an_address_sends_nothing(cast, django_capture_on_commit_callbacks):
    meeting = build_meeting(cast.territory_a, items=1, attendees=0)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert do_send_minutes(meeting, acting_user=None) == 0

    assert callbacks == [] and mail.outbox == []
