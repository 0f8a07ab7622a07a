"""Minutes of a meeting: what the minute-taker may write, the PDF and DOCX, the e-mail.

The minutes of an agenda item are formatted text kept as HTML. `sanitize_minutes` is the one
gate for that HTML: it is applied when minutes are saved and applied again whenever they are
shown, so that markup stored by any other way (an import, a bug, a direct database edit) is
never rendered. `minutes_text` turns the same HTML into plain text for Word and e-mail.

`minutes_document` reads a meeting in a fixed number of queries whatever the number of
agenda items, attendees, decisions and tasks; `minutes_html`, `minutes_pdf` and
`minutes_docx` show the same content. `do_send_minutes` e-mails the files to the attendees
once the transaction commits; the e-mail itself carries only a link.
"""

import io
import logging
import re
import zoneinfo
from dataclasses import dataclass, field
from html.parser import HTMLParser

import docx
import nh3
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from spolu.core.documents import ExportUnavailable, html_to_pdf
from spolu.plans.models import Task

from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Correction,
    Decision,
    Meeting,
    MeetingStatus,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ExportUnavailable",
    "do_send_minutes",
    "minutes_docx",
    "minutes_document",
    "minutes_html",
    "minutes_pdf",
    "minutes_text",
    "sanitize_minutes",
]

PDF_CONTENT_TYPE = "application/pdf"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The language of a territory's e-mails and documents sent without a request.


# Sanitising ----------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "em", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}
# Dropped together with everything inside them (the other unknown tags keep their text).
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "noscript",
    "template",
    "textarea",
    "title",
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_minutes(html: str) -> str:
    """The minutes' HTML with only simple formatting and http(s)/mailto links left.

    No attribute survives but a link's `href`; links get rel="noopener noreferrer"; relative
    and other-scheme URLs (javascript:, data:) lose their `href`; comments are removed.
    """
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        # "*" replaces the sanitiser's default attributes allowed on every tag (lang, title).
        attributes={"a": {"href"}, "*": set()},
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# Plain text ----------------------------------------------------------------------------------

# Text that a later HTML parser could take for a tag ("<script", "</p", "<!--"): its "<"
# becomes "‹", so plain text made from minutes never holds markup, even if it is escaped
# markup that someone wrote on purpose.
TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
# Control characters are not allowed in XML; lxml refuses them in a Word file.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SPACES = re.compile(r"[ \t\r\n\f]+")


def _plain(text: str) -> str:
    return TAG_LIKE.sub("‹", CONTROL_CHARACTERS.sub("", text))


@dataclass
class Run:
    """A piece of text with its formatting; "\n" stands for a line break."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass
class Block:
    """A paragraph of minutes: "p", "h3", "h4" or "li" (a list item)."""

    kind: str
    runs: list[Run]
    level: int = 0  # nesting depth of a list item, 1 at the top
    ordered: bool = False
    number: int = 0  # the position of an item in an ordered list
    quote: bool = False
    starts_list: bool = False  # the first item of a new list (not a nested one)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def marker(self) -> str:
        if self.kind != "li":
            return ""
        return f"{self.number}." if self.ordered else "•"


class _BlockParser(HTMLParser):
    """Reads sanitised minutes into blocks of formatted runs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.runs: list[Run] = []
        self.contexts: list[tuple] = []  # open p/h3/h4/li: (kind, level, ordered, number)
        self.lists: list[list] = []  # open ul/ol: [ordered, items so far]
        self.quote = 0
        self.bold = self.italic = self.underline = 0
        self.href = ""
        self.link_runs = 0
        self.new_list = False

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "h3", "h4"):
            self.flush()
            self.contexts.append((tag, 0, False, 0))
        elif tag == "li":
            self.flush()
            ordered, number = False, 0
            if self.lists:
                self.lists[-1][1] += 1
                ordered, number = self.lists[-1]
            self.contexts.append(("li", max(len(self.lists), 1), ordered, number))
        elif tag in ("ul", "ol"):
            self.flush()
            self.new_list = self.new_list or not self.lists
            self.lists.append([tag == "ol", 0])
        elif tag == "blockquote":
            self.flush()
            self.quote += 1
        elif tag == "br":
            self.runs.append(Run("\n"))
        elif tag == "strong":
            self.bold += 1
        elif tag == "em":
            self.italic += 1
        elif tag == "u":
            self.underline += 1
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_runs = len(self.runs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("p", "h3", "h4", "li"):
            self.flush()
            if self.contexts:
                self.contexts.pop()
        elif tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self.flush()
            self.quote = max(self.quote - 1, 0)
        elif tag == "strong":
            self.bold = max(self.bold - 1, 0)
        elif tag == "em":
            self.italic = max(self.italic - 1, 0)
        elif tag == "u":
            self.underline = max(self.underline - 1, 0)
        elif tag == "a":
            self._end_link()

    def handle_data(self, data):
        text = SPACES.sub(" ", data)
        if text:
            self.runs.append(Run(text, bool(self.bold), bool(self.italic), bool(self.underline)))

    def _end_link(self):
        # Plain text cannot link: the address follows the link's words, unless it is them.
        shown = "".join(run.text for run in self.runs[self.link_runs :]).strip()
        address = self.href.removeprefix("mailto:")
        if self.href and address not in shown:
            self.runs.append(Run(f" ({address})" if shown else address))
        self.href = ""

    def flush(self):
        runs, self.runs = self.runs, []
        self.link_runs = 0
        text = "".join(run.text for run in runs)
        if not text.strip():
            return
        kind, level, ordered, number = self.contexts[-1] if self.contexts else ("p", 0, False, 0)
        cleaned = []
        for run in runs:
            value = _plain(run.text)
            if value == "\n":
                if cleaned:
                    cleaned[-1].text = cleaned[-1].text.rstrip(" ")
            elif cleaned and cleaned[-1].text.endswith(("\n", " ")):
                value = value.lstrip(" ")
            elif not cleaned:
                value = value.lstrip(" ")
            if value:
                cleaned.append(Run(value, run.bold, run.italic, run.underline))
        while cleaned and cleaned[-1].text.strip(" \n") == "":
            cleaned.pop()
        if cleaned:
            cleaned[-1].text = cleaned[-1].text.rstrip(" \n")
        starts_list = kind == "li" and self.new_list
        if kind == "li":
            self.new_list = False
        self.blocks.append(
            Block(kind, cleaned, level, ordered, number, bool(self.quote), starts_list)
        )

    def close(self):
        super().close()
        self.flush()


def minutes_blocks(html: str) -> list[Block]:
    """The minutes as paragraphs, headings and list items of plain (formatted) text."""
    parser = _BlockParser()
    parser.feed(sanitize_minutes(html))
    parser.close()
    return parser.blocks


def _block_line(block: Block) -> str:
    text = block.text
    if block.kind == "li":
        indent = "  " * (block.level - 1)
        text = f"{indent}{block.marker} " + text.replace("\n", "\n" + indent + "  ")
    if block.quote:
        text = "    " + text.replace("\n", "\n    ")
    return text


def minutes_text(html: str) -> str:
    """The minutes as plain text: paragraphs apart, list items with "•" or numbers.

    The text holds no markup: tags are gone and anything that looks like one is defused.
    """
    lines = []
    previous = None
    for block in minutes_blocks(html):
        in_list = previous is not None and previous.kind == block.kind == "li"
        if previous is not None and not (in_list and not block.starts_list):
            lines.append("")
        lines.append(_block_line(block))
        previous = block
    return "\n".join(lines)


# The document --------------------------------------------------------------------------------


@dataclass
class AttendanceGroup:
    status: str
    label: str
    people: list[tuple[str, str]]  # (person, organisation)


@dataclass
class TaskLine:
    title: str
    owner: str
    due: str
    status: str


@dataclass
class DecisionLine:
    text: str
    tasks: list[TaskLine]


@dataclass
class ItemSection:
    number: int
    title: str
    kind: str
    # Sanitised again when the document is made; the only HTML the template marks safe.
    minutes: str
    blocks: list[Block]
    decisions: list[DecisionLine] = field(default_factory=list)


@dataclass
class CorrectionLine:
    text: str
    author: str
    date: str


@dataclass
class MinutesDocument:
    """What the PDF, the DOCX and the meeting page's minutes show."""

    meeting: Meeting
    title: str
    platform_name: str
    meeting_title: str
    territory_name: str
    facts: list[tuple[str, str]]
    status: str
    status_note: str
    attendance: list[AttendanceGroup]
    items: list[ItemSection]
    other_decisions: list[DecisionLine]
    corrections: list[CorrectionLine]
    generated_on: str


def _status_notes():
    return {
        MeetingStatus.HELD: _("The meeting was held; the minutes await approval."),
        MeetingStatus.APPROVED: _("These minutes were approved."),
    }


ATTENDANCE_GROUPS = [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT]


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _local(value, zone):
    """A moment as the naive wall-clock time of the territory, for formatting."""
    return timezone.localtime(value, zone).replace(tzinfo=None)


def _owner(task) -> str:
    person = task.owner_person.full_name if task.owner_person else ""
    organisation = task.owner_organisation.name if task.owner_organisation else ""
    if person and organisation:
        return f"{person} ({organisation})"
    return person or organisation


def _decision_line(decision) -> DecisionLine:
    tasks = [
        TaskLine(
            title=task.title,
            owner=_owner(task),
            due=_date(task.due),
            status=task.get_status_display(),
        )
        for task in decision.tasks.all()
    ]
    return DecisionLine(text=decision.text, tasks=tasks)


def minutes_document(meeting: Meeting) -> MinutesDocument:
    """The meeting's minutes, read in a fixed number of queries, in the current language."""
    with scope(territory=meeting.territory_id):
        meeting = Meeting.objects.select_related(
            "territory", "platform", "platform__facilitator"
        ).get(pk=meeting.pk)
        items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
        attendances = list(
            Attendance.objects.filter(meeting=meeting)
            .select_related("person", "organisation")
            .order_by("person__full_name", "pk")
        )
        decisions = list(
            Decision.objects.filter(meeting=meeting)
            .order_by("pk")
            .prefetch_related(
                Prefetch(
                    "tasks",
                    queryset=Task.objects.select_related(
                        "owner_person", "owner_organisation"
                    ).order_by("due", "pk"),
                )
            )
        )
        corrections = list(
            Correction.objects.filter(meeting=meeting).select_related("author").order_by("created")
        )

    zone = zoneinfo.ZoneInfo(meeting.territory.time_zone)
    start, end = _local(meeting.starts_at, zone), _local(meeting.ends_at, zone)
    time = formats.time_format(start, "TIME_FORMAT")
    if end != start:
        time = f"{time} – {formats.time_format(end, 'TIME_FORMAT')}"

    groups = {
        status: AttendanceGroup(status, str(status.label), []) for status in ATTENDANCE_GROUPS
    }
    unrecorded = AttendanceGroup("unrecorded", _("Attendance not recorded"), [])
    for attendance in attendances:
        group = groups.get(attendance.status, unrecorded)
        organisation = attendance.organisation.name if attendance.organisation else ""
        group.people.append((attendance.person.full_name, organisation))

    sections = {}
    for number, item in enumerate(items, start=1):
        sections[item.pk] = ItemSection(
            number=number,
            title=item.title,
            kind=item.get_kind_display(),
            minutes=sanitize_minutes(item.minutes),
            blocks=minutes_blocks(item.minutes),
        )
    other_decisions = []
    for decision in decisions:
        section = sections.get(decision.agenda_item_id)
        (section.decisions if section else other_decisions).append(_decision_line(decision))

    platform = meeting.platform
    facts = [
        (_("Date"), formats.date_format(start, "DATE_FORMAT")),
        (_("Time"), time),
        (_("Place"), meeting.place),
        (_("Online link"), meeting.online_link),
        (_("Facilitator"), platform.facilitator.full_name if platform.facilitator else ""),
        (_("Status"), meeting.get_status_display()),
        (_("Minutes closed"), _date(_local(meeting.closed_at, zone)) if meeting.closed_at else ""),
        (
            _("Minutes approved"),
            _date(_local(meeting.approved_at, zone)) if meeting.approved_at else "",
        ),
    ]
    return MinutesDocument(
        meeting=meeting,
        title=_("Minutes: %(platform)s") % {"platform": platform.name},
        platform_name=platform.name,
        meeting_title=meeting.title,
        territory_name=meeting.territory.name,
        facts=[(str(label), str(value)) for label, value in facts if value],
        status=meeting.status,
        status_note=str(_status_notes().get(meeting.status, "")),
        attendance=[groups[status] for status in ATTENDANCE_GROUPS]
        + ([unrecorded] if unrecorded.people else []),
        items=list(sections.values()),
        other_decisions=other_decisions,
        corrections=[
            CorrectionLine(
                text=correction.text,
                author=str(correction.author or ""),
                date=_date(_local(correction.created, zone)),
            )
            for correction in corrections
        ],
        generated_on=_date(timezone.localdate(timezone=zone)),
    )


def _html(document: MinutesDocument) -> str:
    return render_to_string(
        "meetings/documents/minutes.html",
        {"document": document, "approved": document.status == MeetingStatus.APPROVED},
    )


def minutes_html(meeting: Meeting) -> str:
    """The minutes as standalone HTML (no external resources), the source of the PDF."""
    return _html(minutes_document(meeting))


# PDF and DOCX --------------------------------------------------------------------------------


def _pdf(document: MinutesDocument) -> bytes:
    return html_to_pdf(_html(document))


def minutes_pdf(meeting: Meeting) -> bytes:
    """The minutes as an A4 PDF with page numbers; ExportUnavailable without WeasyPrint."""
    return _pdf(minutes_document(meeting))


def _xml(text) -> str:
    return CONTROL_CHARACTERS.sub("", str(text))


BULLET_STYLES = ["List Bullet", "List Bullet 2", "List Bullet 3"]


def _add_block(word, block: Block) -> None:
    if block.kind in ("h3", "h4"):
        paragraph = word.add_heading(level=3 if block.kind == "h3" else 4)
    elif block.kind == "li" and not block.ordered:
        paragraph = word.add_paragraph(style=BULLET_STYLES[min(block.level, 3) - 1])
    elif block.kind == "li":
        # Word's "List Number" would go on counting across lists: the number is written.
        paragraph = word.add_paragraph(style="List Paragraph")
        paragraph.add_run(f"{block.number}. ")
    else:
        paragraph = word.add_paragraph(style="Quote" if block.quote else None)
    for run in block.runs:
        for index, line in enumerate(run.text.split("\n")):
            if index:
                paragraph.add_run().add_break()
            if line:
                added = paragraph.add_run(line)
                added.bold = run.bold or None
                added.italic = run.italic or None
                added.underline = run.underline or None


def _docx(document: MinutesDocument) -> bytes:
    word = docx.Document()
    word.core_properties.title = _xml(document.title)
    word.styles["Normal"].font.size = Pt(10)

    footer = word.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_field = OxmlElement("w:fldSimple")
    page_field.set(qn("w:instr"), "PAGE")
    footer._p.append(page_field)

    word.add_heading(_xml(document.title), level=0)
    if document.meeting_title:
        word.add_paragraph(_xml(document.meeting_title))
    word.add_paragraph(_xml(document.territory_name))
    table = word.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in document.facts:
        cells = table.add_row().cells
        cells[0].text = _xml(label)
        cells[1].text = _xml(value)
        cells[0].paragraphs[0].runs[0].bold = True

    if document.status_note:
        word.add_paragraph().add_run(document.status_note).bold = True

    word.add_heading(_("Attendance"), level=1)
    for group in document.attendance:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{group.label} ({len(group.people)})").bold = True
        for person, organisation in group.people:
            text = f"{person}, {organisation}" if organisation else person
            word.add_paragraph(_xml(text), style="List Bullet")

    def decisions(lines):
        for number, line in enumerate(lines, start=1):
            paragraph = word.add_paragraph(style="List Paragraph")
            paragraph.add_run(f"{number}. ").bold = True
            paragraph.add_run(_xml(line.text))
            for task in line.tasks:
                word.add_paragraph(_xml(_task_text(task)), style="List Bullet 2")

    word.add_heading(_("Agenda and minutes"), level=1)
    for item in document.items:
        word.add_heading(_xml(f"{item.number}. {item.title}"), level=2)
        word.add_paragraph(_xml(item.kind)).runs[0].italic = True
        if not item.blocks:
            word.add_paragraph(_("No minutes were written for this item."))
        for block in item.blocks:
            _add_block(word, block)
        if item.decisions:
            word.add_heading(_("Decisions"), level=3)
            decisions(item.decisions)
    if document.other_decisions:
        word.add_heading(_("Other decisions"), level=1)
        decisions(document.other_decisions)
    if document.corrections:
        word.add_heading(_("Corrections after approval"), level=1)
        for correction in document.corrections:
            paragraph = word.add_paragraph()
            author = f", {correction.author}" if correction.author else ""
            paragraph.add_run(_xml(f"{correction.date}{author}: ")).bold = True
            paragraph.add_run(_xml(correction.text))
    word.add_paragraph(_("Generated on %(date)s.") % {"date": document.generated_on})
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _task_text(task: TaskLine) -> str:
    details = ", ".join(
        part
        for part in (task.owner, _("due %(date)s") % {"date": task.due} if task.due else "")
        if part
    )
    return f"{_('Task')}: {task.title}" + (f" ({details})" if details else "") + f" – {task.status}"


def minutes_docx(meeting: Meeting) -> bytes:
    """The minutes as a Word file: the same content as the PDF, minutes as plain paragraphs."""
    return _docx(minutes_document(meeting))


def minutes_filename(meeting: Meeting, extension: str) -> str:
    """E.g. "minutes-plenary-2025-03-06.pdf" (the date local to the territory)."""
    zone = zoneinfo.ZoneInfo(meeting.territory.time_zone)
    day = timezone.localtime(meeting.starts_at, zone).date().isoformat()
    stem = slugify(f"{_('minutes')} {meeting.platform.name}") or "minutes"
    return f"{stem}-{day}.{extension}"


# E-mail --------------------------------------------------------------------------------------


def _send_minutes(meeting_pk: int, territory_id: int, recipients: list[str]) -> None:
    with scope(territory=territory_id):
        meeting = Meeting.objects.select_related("territory", "platform").get(pk=meeting_pk)
    territory = meeting.territory
    with translation.override(territory.language):
        document = minutes_document(meeting)
        attachments = []
        try:
            attachments.append((minutes_filename(meeting, "pdf"), _pdf(document), PDF_CONTENT_TYPE))
        except ExportUnavailable as error:
            logger.warning("Minutes of meeting %s sent without the PDF: %s", meeting_pk, error)
        attachments.append((minutes_filename(meeting, "docx"), _docx(document), DOCX_CONTENT_TYPE))
        path = reverse(
            "meetings:meeting-detail", kwargs={"territory": territory.slug, "pk": meeting.pk}
        )
        zone = zoneinfo.ZoneInfo(territory.time_zone)
        context = {
            "platform": meeting.platform.name,
            "meeting_title": meeting.title,
            "territory": territory.name,
            "date": formats.date_format(_local(meeting.starts_at, zone), "DATE_FORMAT"),
            "url": settings.SITE_URL.rstrip("/") + path,
            "has_pdf": len(attachments) == 2,
        }
        subject = _("Minutes: %(platform)s, %(date)s") % {
            "platform": meeting.platform.name,
            "date": context["date"],
        }
        body = render_to_string("meetings/email/minutes.txt", context)
    connection = get_connection()
    messages = [
        # One message per person: members do not see each other's addresses.
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            to=[address],
            attachments=attachments,
            connection=connection,
        )
        for address in recipients
    ]
    connection.send_messages(messages)


def do_send_minutes(meeting: Meeting, *, acting_user) -> int:
    """E-mail the minutes (PDF and DOCX) to the meeting's attendees once the data commits.

    Everyone on the attendance list who has an e-mail address and has not left receives
    them, whether present or not. Returns the number of addresses.
    """
    from .invitations import invitees

    with scope(territory=meeting.territory_id):
        # The people invited to or recorded at this meeting, and the platform's current
        # members (someone who joined since the invitations also receives the minutes).
        present = Attendance.objects.filter(meeting_id=meeting.pk, person__has_left=False).exclude(
            person__email=""
        )
        addresses = [person.email for person in invitees(meeting)] + list(
            present.order_by("person__full_name", "pk").values_list("person__email", flat=True)
        )
        recipients = list({address.lower(): address for address in addresses}.values())
    if not recipients:
        return 0
    logger.info(
        "Minutes of meeting %s to be sent to %d people (user %s)",
        meeting.pk,
        len(recipients),
        getattr(acting_user, "pk", None),
    )
    territory_id = meeting.territory_id
    transaction.on_commit(lambda: _send_minutes(meeting.pk, territory_id, recipients), robust=True)
    return len(recipients)
