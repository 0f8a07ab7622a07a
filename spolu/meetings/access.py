"""Who may see and run which platform: membership comes from the actor registry."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from spolu.actors.models import organisation_ids_of
from spolu.core.permissions import role_can

from .models import Meeting, Platform


def sees_all_platforms(request) -> bool:
    return role_can(request.role, "meetings.manage")


def visible_platforms(request):
    """The platforms of the territory the user may see: all for the team, else their own."""
    platforms = Platform.objects.filter(territory=request.territory)
    if sees_all_platforms(request):
        return platforms
    own = organisation_ids_of(request.user, request.territory)
    return platforms.filter(
        Q(member_people__user=request.user, member_people__has_left=False)
        | Q(member_organisations__in=own)
        | Q(facilitator__user=request.user, facilitator__has_left=False)
    ).distinct()


def may_run(request, platform) -> bool:
    """The coordination team runs every platform; a facilitator runs their own."""
    if sees_all_platforms(request):
        return True
    facilitator = platform.facilitator
    return (
        facilitator is not None
        and facilitator.user_id == request.user.pk
        and not facilitator.has_left
    )


def get_platform(request, pk) -> Platform:
    """A platform the user may see, or 404 (a platform of others is not revealed)."""
    return get_object_or_404(
        visible_platforms(request).select_related("organiser", "facilitator"), pk=pk
    )


def get_meeting(request, pk) -> Meeting:
    return get_object_or_404(
        Meeting.objects.filter(platform__in=visible_platforms(request)).select_related(
            "platform__facilitator", "platform__organiser"
        ),
        pk=pk,
    )
