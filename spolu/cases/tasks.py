"""Background jobs of the case module: the daily anonymisation of expired signals."""

from django_tasks import task

from spolu.core import daily

from . import retention


@task()
def anonymise_expired_signals() -> int:
    count = retention.do_anonymise_expired()
    daily.schedule_next(anonymise_expired_signals)
    return count


def ensure_scheduled() -> bool:
    """Queue a run of the anonymisation unless one is waiting or running; True if queued."""
    return daily.ensure_scheduled(anonymise_expired_signals, "the anonymisation of expired signals")
