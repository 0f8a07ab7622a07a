"""A school's signal about a pupil, its triage, referrals and the events that answer it.

Spolu keeps the minimum about the child: the school's own pupil reference, initials, year of
birth and grade. Free text is encrypted at rest. Closed signals are anonymised after the
retention period (spolu/cases/retention.py) and the counts stay for statistics.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from spolu.core.crypto import EncryptedTextField
from spolu.core.models import TenantModel


class Category(models.TextChoices):
    ABSENCE = "absence", _("Unexcused absences or hidden truancy")
    FAILURE = "failure", _("Risk of school failure")
    MATERIAL = "material", _("Material support or aids")
    BEHAVIOUR = "behaviour", _("Behaviour")
    FAMILY = "family", _("Family situation, possible need for child protection")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent: the child may be at risk")


class SignalStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    REFERRED = "referred", _("Referred")
    CLOSED = "closed", pgettext_lazy("signal", "Closed")


# A signal in these states waits for the department's triage (overdue after `triage_due`).
WAITING_FOR_TRIAGE = (SignalStatus.FILED, SignalStatus.RECEIVED)

OPEN_STATUSES = (
    SignalStatus.FILED,
    SignalStatus.RECEIVED,
    SignalStatus.TRIAGED,
    SignalStatus.REFERRED,
)


class TriageDecision(models.TextChoices):
    REFER = "refer", _("Refer to one or more organisations")
    DEPARTMENT = "department", _("The department handles it itself")
    MORE_INFO = "more_info", _("Ask the school for more information")
    NO_ACTION = "no_action", _("No action needed")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    SUPPORT_PROVIDED = "support_provided", _("Support provided")
    CONTINUING = "continuing", _("Continues with a partner outside Spolu")
    CHILD_PROTECTION = "child_protection", _("Taken over by child protection")
    NO_ACTION = "no_action", _("No action needed")
    FAMILY_DECLINED = "family_declined", _("The family declined support")
    MOVED_AWAY = "moved_away", _("The pupil moved away")
    OTHER = "other", _("Other")


class Signal(TenantModel):
    """A school's report about a pupil that needs the department's attention."""

    number = models.PositiveIntegerField(_("number"), editable=False)
    school = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("school"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    # The pupil, identified minimally: the reference means something only at the school.
    pupil_reference = EncryptedTextField(
        _("pupil reference"),
        help_text=_(
            "The school's own reference for the pupil (e.g. the number in the school "
            "register). Never a birth number or a name."
        ),
    )
    pupil_initials = EncryptedTextField(_("initials"), blank=True)
    # Removed when the signal is anonymised (the grade then keeps only its level).
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True)
    grade = models.CharField(_("grade"), max_length=20, help_text=_("For example 7 or 7.B."))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    description = EncryptedTextField(_("what the school noticed"))
    school_actions = EncryptedTextField(_("what the school already did"), blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=SignalStatus.choices, default=SignalStatus.FILED
    )
    filed_at = models.DateTimeField(_("filed"), auto_now_add=True)
    triage_due = models.DateField(_("triage due"))
    triaged_at = models.DateTimeField(_("triaged"), null=True, blank=True)
    triage_decision = models.CharField(
        _("triage decision"), max_length=20, choices=TriageDecision.choices, blank=True
    )
    # When the school first heard more than the acknowledgement (for "time to feedback").
    first_feedback_at = models.DateTimeField(_("first feedback"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "number"], name="signal_number_unique")
        ]
        indexes = [
            models.Index(fields=["territory", "status"]),
            models.Index(fields=["territory", "filed_at"]),
            models.Index(fields=["status", "closed_at"]),
        ]

    def __str__(self):
        # Never pupil data: this is what audit entries and e-mails show.
        return _("Signal %(number)s") % {"number": self.reference}

    def get_additional_data(self):
        # The case log filters a signal's whole history (its steps and referrals) on this.
        return {**super().get_additional_data(), "signal": self.pk}

    @property
    def reference(self) -> str:
        return f"S-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")
    WITHDRAWN = "withdrawn", _("Withdrawn: the signal was closed")


class Referral(TenantModel):
    """The department asks an organisation to take up a signal; it accepts or returns it."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="referrals")
    organisation = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("organisation"),
    )
    note = EncryptedTextField(_("what is asked"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    created_at = models.DateTimeField(_("referred"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    return_reason = EncryptedTextField(_("reason for returning"), blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "organisation"], name="referral_once_per_organisation"
            )
        ]

    def get_additional_data(self):
        return {**super().get_additional_data(), "signal": self.signal_id}

    def __str__(self):
        return _("Referral of %(signal)s to %(organisation)s") % {
            "signal": self.signal.reference,
            "organisation": self.organisation,
        }


class EventKind(models.TextChoices):
    FILED = "filed", _("Signal filed")
    RECEIVED = "received", _("Receipt acknowledged")
    SUPPLEMENT = "supplement", _("Added by the school")
    TRIAGED = "triaged", _("Triaged")
    REFERRED = "referred", _("Referred")
    ACCEPTED = "accepted", _("Referral accepted")
    RETURNED = "returned", _("Referral returned")
    ACTION = "action", pgettext_lazy("signal event", "Action")
    SUPPORT = "support", _("Material support")
    FEEDBACK = "feedback", _("Feedback to the school")
    CLOSED = "closed", pgettext_lazy("signal event", "Closed")
    ANONYMISED = "anonymised", _("Anonymised")


# Events the filing school always sees, whatever the author chose.
ALWAYS_FOR_SCHOOL = frozenset(
    {
        EventKind.FILED,
        EventKind.RECEIVED,
        EventKind.SUPPLEMENT,
        EventKind.TRIAGED,
        EventKind.FEEDBACK,
        EventKind.CLOSED,
    }
)


class SignalEvent(TenantModel):
    """One step in a signal's life, with its author, time and who at the school sees it."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    # The organisation the author acted for (the school, the department, a referred NGO).
    organisation = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    # The triage decision or the outcome of closing (a code, shown in the reader's language).
    code = models.CharField(max_length=20, blank=True)
    text = EncryptedTextField(_("text"), blank=True)
    visible_to_school = models.BooleanField(_("the school sees it"), default=False)
    # Material support: what was provided and who paid for it.
    support_item = models.CharField(_("what was provided"), max_length=200, blank=True)
    support_paid_by = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid by"),
    )
    support_amount = models.DecimalField(
        _("amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("signal event")
        verbose_name_plural = _("signal events")
        ordering = ["created_at", "pk"]

    def get_additional_data(self):
        return {**super().get_additional_data(), "signal": self.signal_id}

    def __str__(self):
        return f"{self.signal.reference}: {self.get_kind_display()}"

    @property
    def code_label(self) -> str:
        choices = {EventKind.TRIAGED: TriageDecision, EventKind.CLOSED: Outcome}.get(self.kind)
        if choices is None or self.code not in choices.values:
            return ""
        return choices(self.code).label
