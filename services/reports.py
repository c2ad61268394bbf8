"""Reports: requested through the API, built by a worker, downloaded when done.

A deliveries CSV streams its rows from the database (server-side cursor, fixed-size
chunks) into a file, so its memory use does not grow with the number of rows.
"""

import csv
import datetime as dt
import logging
import re
import tempfile
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from deliveries.filters import DeliveryFilter
from deliveries.models import Delivery, Report, ReportKind, ReportStatus
from logitrack.celery import enqueue
from services.common import lock
from services.exceptions import ReportNotReady, TooManyReports
from users.models import User

logger = logging.getLogger(__name__)

CSV_COLUMNS = (
    ("tracking_code", "tracking_code"),
    ("status", "status"),
    ("scheduled_for", "scheduled_for"),
    ("delivered_at", "delivered_at"),
    ("origin_address", "origin_address"),
    ("destination_address", "destination_address"),
    ("recipient_name", "recipient_name"),
    ("recipient_phone", "recipient_phone"),
    ("recipient_email", "recipient_email"),
    ("weight_kg", "weight_kg"),
    ("vehicle", "vehicle__plate_number"),
    ("driver", "driver__username"),
    ("failure_reason", "failure_reason"),
    ("created_at", "created_at"),
)
REPORT_NOT_QUEUED = "The report could not be queued; ask for it again later."
REPORT_TOO_SLOW = "The report took too long to build; ask for one with narrower filters."
REPORT_FAILED = (
    "The report could not be built. Ask for it again; if it fails again, tell an "
    "administrator its number ({id})."
)
# A report waiting or being built longer than this no longer counts against the quota:
# its task was lost (reports are stopped after an hour).
UNFINISHED_FOR_AT_MOST = dt.timedelta(hours=2)
CHUNK_SIZE = 2000
PROGRESS_EVERY = 5000


def report_queryset(filters: dict[str, Any]):
    """The deliveries a report covers: the delivery list's filters, oldest first."""
    filterset = DeliveryFilter(data=filters, queryset=Delivery.objects.all())
    return filterset.qs.order_by("id")


@transaction.atomic
def report_create(*, kind: str, filters: dict[str, Any], actor: User) -> Report:
    """Records a ``queued`` report and enqueues its build after commit; if the broker
    cannot take it, the report is marked ``failed`` with the reason.

    A user has at most ``REPORTS_AT_ONCE`` reports queued or being built
    (``429 too_many_reports``); locks the user's row, so two requests cannot both take
    the last place."""
    from deliveries.tasks import build_report

    lock(actor)
    unfinished = Report.objects.filter(
        requested_by=actor,
        status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING),
        created_at__gte=timezone.now() - UNFINISHED_FOR_AT_MOST,
    ).count()
    if unfinished >= settings.REPORTS_AT_ONCE:
        raise TooManyReports(count=unfinished)
    report = Report.objects.create(kind=kind, filters=filters, requested_by=actor)

    def _enqueue() -> None:
        if not enqueue(build_report, report.pk):
            _set(report.pk, status=ReportStatus.FAILED, error=REPORT_NOT_QUEUED)

    transaction.on_commit(_enqueue, robust=True)
    return report


def _set(report_id: int, **fields: Any) -> None:
    Report.objects.filter(pk=report_id).update(**fields)


def report_build(*, report_id: int) -> str:
    """Builds the report's file; returns its final status.

    A report already done is not rebuilt. Any error marks it ``failed`` with the
    reason in ``error`` (the worker does not retry a broken report).
    """
    report = Report.objects.get(pk=report_id)
    if report.status == ReportStatus.DONE:
        return report.status
    _set(report_id, status=ReportStatus.RUNNING, progress=0, error="", started_at=timezone.now())
    try:
        if report.kind != ReportKind.DELIVERIES_CSV:
            raise ValueError(f"Unknown report kind {report.kind!r}.")
        rows = _write_deliveries_csv(report)
    except Exception as exc:
        # The log has the exception; the user gets what they can act on.
        logger.exception("Report %s failed", report_id)
        error = (
            REPORT_TOO_SLOW
            if isinstance(exc, SoftTimeLimitExceeded)
            else REPORT_FAILED.format(id=report_id)
        )
        _set(report_id, status=ReportStatus.FAILED, error=error, finished_at=timezone.now())
        return ReportStatus.FAILED
    _set(
        report_id,
        status=ReportStatus.DONE,
        progress=100,
        row_count=rows,
        finished_at=timezone.now(),
    )
    return ReportStatus.DONE


# A cell a spreadsheet would run as a formula; phone numbers like +31 20 … are data.
_FORMULA = re.compile(r"^[=@\t\r]|^[+-](?![\d\s().-]*$)")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def _write_deliveries_csv(report: Report) -> int:
    queryset = report_queryset(report.filters)
    total = queryset.count()
    fields = [field for _, field in CSV_COLUMNS]
    rows = 0
    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([header for header, _ in CSV_COLUMNS])
        for row in queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
            writer.writerow([_cell(value) for value in row])
            rows += 1
            if rows % PROGRESS_EVERY == 0 and total:
                _set(report.pk, progress=min(99, rows * 100 // total))
        handle.seek(0)
        report.file.save(f"report-{report.pk}.csv", File(handle), save=False)
    Report.objects.filter(pk=report.pk).update(file=report.file.name)
    return rows


def report_open(*, report: Report):
    """The finished report's file, opened for reading; ``409`` before it is done."""
    if report.status != ReportStatus.DONE or not report.file:
        raise ReportNotReady(status=report.status)
    return report.file.open("rb")
