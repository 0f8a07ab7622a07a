"""Who is a party to which signal, and which of its events each party sees.

The department's case workers see every signal of their territory; the filing school sees its
own signals and the events marked for it; an organisation a signal was referred to sees it from
the referral on, until it returns the referral. Nobody else sees a single signal (404).
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from spolu.actors.models import organisation_ids_of
from spolu.core.audit import log_read
from spolu.core.permissions import role_can

from .models import EventKind, ReferralStatus, Signal

ACTIVE_REFERRAL = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


def is_department(request) -> bool:
    return role_can(request.role, "cases.triage")


def own_organisations(request) -> set[int]:
    if not hasattr(request, "_case_orgs"):
        request._case_orgs = organisation_ids_of(request.user, request.territory)
    return request._case_orgs


def visible_signals(request):
    """The signals of the territory the user is a party to."""
    signals = Signal.objects.filter(territory=request.territory)
    if is_department(request):
        return signals
    if not role_can(request.role, "cases.view"):
        return signals.none()
    own = own_organisations(request)
    if not own:
        return signals.none()
    return signals.filter(
        Q(school__in=own)
        | Q(referrals__organisation__in=own, referrals__status__in=ACTIVE_REFERRAL)
    ).distinct()


@dataclass
class Party:
    """How the current user takes part in one signal."""

    department: bool = False
    school: bool = False
    # The user's organisations with an active referral, and when the earliest one was made.
    referred: dict = field(default_factory=dict)  # organisation id -> Referral

    @property
    def referred_since(self):
        return min((r.created_at for r in self.referred.values()), default=None)

    @property
    def accepted_organisations(self) -> list[int]:
        return [
            org_id for org_id, r in self.referred.items() if r.status == ReferralStatus.ACCEPTED
        ]

    def sees_event(self, event) -> bool:
        """The department sees every step; the school what is shared with it; a referred
        organisation, from its referral on, its own steps, the triage and closing, and what
        the department shares with the school — not other organisations' or internal notes."""
        if self.department:
            return True
        if self.school and event.visible_to_school:
            return True
        since = self.referred_since
        if since is None or event.created_at < since:
            return False
        return (
            event.referral_id in self.referral_ids
            or event.organisation_id in self.referred
            or event.kind in (EventKind.TRIAGED, EventKind.CLOSED)
            or event.visible_to_school
        )

    @property
    def referral_ids(self) -> set[int]:
        return {r.pk for r in self.referred.values()}


def party_of(request, signal) -> Party:
    if is_department(request):
        return Party(department=True)
    own = own_organisations(request)
    referred = {
        r.organisation_id: r
        for r in signal.referrals.all()
        if r.organisation_id in own and r.status in ACTIVE_REFERRAL
    }
    return Party(school=signal.school_id in own, referred=referred)


def get_signal(request, pk, *, log=True) -> tuple[Signal, Party]:
    """A signal the user is a party to (else 404), with how they take part.

    Opening a signal's page is a read of child data: it is written to the audit log once.
    """
    signal = (
        visible_signals(request)
        .select_related("school", "filed_by")
        .prefetch_related("referrals__organisation")
        .filter(pk=pk)
        .first()
    )
    if signal is None:
        raise Http404
    party = party_of(request, signal)
    if log:
        log_read(signal)
    return signal, party
