"""Background jobs of the case module: the daily anonymisation of expired signals.

The job reschedules itself 24 hours ahead after each run; `ensure_scheduled` (called after
every `migrate`) puts a first run in the queue when none is waiting, so a fresh installation
needs only `manage.py db_worker` running.
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import TaskResultStatus, task

from . import retention

logger = logging.getLogger(__name__)

INTERVAL = datetime.timedelta(hours=24)


@task()
def anonymise_expired_signals() -> int:
    count = retention.do_anonymise_expired()
    # A backend that cannot defer (the immediate one of the test suite) would run the next
    # "tomorrow" at once, and so forever: reschedule only where deferral exists.
    if anonymise_expired_signals.get_backend().supports_defer:
        anonymise_expired_signals.using(run_after=timezone.now() + INTERVAL).enqueue()
    return count


def ensure_scheduled() -> bool:
    """Queue a run of the anonymisation unless one is waiting or running; True if queued.

    Only with the database backend: other backends keep no queue that could be asked.
    """
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(anonymise_expired_signals.get_backend(), DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=anonymise_expired_signals.module_path,
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
    )
    if waiting.exists():
        return False
    anonymise_expired_signals.enqueue()
    logger.info("Scheduled the anonymisation of expired signals")
    return True
