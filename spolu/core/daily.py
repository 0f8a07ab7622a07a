"""Daily background jobs (django-tasks): each run queues the next one 24 hours later.

`ensure_scheduled` (called after every `migrate`) queues a first run when none is waiting, so
a fresh installation needs only `manage.py db_worker` running next to the web application.
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import TaskResultStatus

logger = logging.getLogger(__name__)

INTERVAL = datetime.timedelta(hours=24)


def schedule_next(task) -> None:
    """Queue the task's next run for tomorrow.

    A backend that cannot defer (the immediate one of the test suite) would run the next
    "tomorrow" at once, and so forever: reschedule only where deferral exists.
    """
    if task.get_backend().supports_defer:
        task.using(run_after=timezone.now() + INTERVAL).enqueue()


def ensure_scheduled(task, what: str) -> bool:
    """Queue a run of the task unless one is waiting or running; True if queued.

    Only with the database backend: other backends keep no queue that could be asked.
    """
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
    )
    if waiting.exists():
        return False
    task.enqueue()
    logger.info("Scheduled %s", what)
    return True
