import csv
import io

import pytest

from deliveries.models import DeliveryStatus, Report, ReportStatus
from deliveries.tests.factories import DeliveryFactory
from services import reports
from services.exceptions import ReportNotReady

pytestmark = pytest.mark.django_db


def _rows(report: Report) -> list[dict]:
    with reports.report_open(report=report) as handle:
        return list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8")))


def test_builds_a_csv_of_the_filtered_deliveries(dispatcher, django_capture_on_commit_callbacks):
    wanted = DeliveryFactory.create_batch(3, in_transit=True)
    DeliveryFactory.create_batch(2)

    with django_capture_on_commit_callbacks(execute=True):
        report = reports.report_create(
            kind="deliveries_csv", filters={"status": ["in_transit"]}, actor=dispatcher
        )

    report.refresh_from_db()
    assert (report.status, report.progress, report.row_count) == (ReportStatus.DONE, 100, 3)
    rows = _rows(report)
    assert [header for header, _ in reports.CSV_COLUMNS] == list(rows[0])
    assert {r["tracking_code"] for r in rows} == {d.tracking_code for d in wanted}
    assert {r["vehicle"] for r in rows} == {d.vehicle.plate_number for d in wanted}


def test_search_and_dates_filter_like_the_list(dispatcher):
    match = DeliveryFactory(recipient_name="Zebulon Quartz")
    DeliveryFactory(recipient_name="Someone Else")
    report = Report.objects.create(
        kind="deliveries_csv", filters={"search": "zebulon"}, requested_by=dispatcher
    )

    assert reports.report_build(report_id=report.pk) == ReportStatus.DONE
    report.refresh_from_db()
    assert [r["tracking_code"] for r in _rows(report)] == [match.tracking_code]


def test_cells_that_a_spreadsheet_would_run_are_neutralised(dispatcher):
    DeliveryFactory(recipient_name="=HYPERLINK(1)", recipient_phone="+31 20 123 4567")
    report = Report.objects.create(kind="deliveries_csv", requested_by=dispatcher)
    reports.report_build(report_id=report.pk)
    report.refresh_from_db()
    (row,) = _rows(report)
    assert row["recipient_name"] == "'=HYPERLINK(1)"
    assert row["recipient_phone"] == "+31 20 123 4567"


def test_a_failed_build_says_why(dispatcher):
    report = Report.objects.create(kind="no_such_kind", requested_by=dispatcher)

    assert reports.report_build(report_id=report.pk) == ReportStatus.FAILED
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == reports.REPORT_FAILED.format(id=report.pk)  # never the exception
    with pytest.raises(ReportNotReady):
        reports.report_open(report=report)


def test_a_report_not_done_cannot_be_opened(dispatcher):
    report = Report.objects.create(kind="deliveries_csv", requested_by=dispatcher)
    with pytest.raises(ReportNotReady) as caught:
        reports.report_open(report=report)
    assert caught.value.code == "report_not_ready"
    assert caught.value.status_code == 409


def test_a_done_report_is_not_rebuilt(dispatcher):
    DeliveryFactory()
    report = Report.objects.create(kind="deliveries_csv", requested_by=dispatcher)
    reports.report_build(report_id=report.pk)
    report.refresh_from_db()
    first_file = report.file.name
    DeliveryFactory(status=DeliveryStatus.PENDING)

    reports.report_build(report_id=report.pk)
    report.refresh_from_db()
    assert (report.file.name, report.row_count) == (first_file, 1)


def test_a_report_that_cannot_be_queued_is_marked_failed(
    dispatcher, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.report_create(kind="deliveries_csv", filters={}, actor=dispatcher)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert reports.REPORT_NOT_QUEUED in report.error
