import csv
import io

import pytest

from deliveries.models import Report, ReportStatus
from deliveries.tests.factories import DeliveryFactory
from services.exceptions import ReportNotReady
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"


def test_asking_for_a_report_answers_202_queued(dispatcher_client):
    response = dispatcher_client.post(URL, {"kind": "deliveries_csv", "filters": {}})

    assert response.status_code == 202
    body = response.json()
    assert {"id", "kind", "status", "progress", "created_at"} <= set(body)
    assert (body["kind"], body["status"], body["progress"]) == ("deliveries_csv", "queued", 0)


def test_the_report_is_built_and_downloadable(
    dispatcher_client, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory(assigned=True)
    DeliveryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        created = dispatcher_client.post(
            URL, {"kind": "deliveries_csv", "filters": {"status": ["assigned"]}}
        ).json()

    detail = dispatcher_client.get(f"{URL}{created['id']}/").json()
    assert (detail["status"], detail["progress"], detail["error"]) == ("done", 100, "")
    assert detail["download_url"].endswith(f"/api/v1/reports/{created['id']}/download/")

    response = dispatcher_client.get(detail["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [row["tracking_code"] for row in rows] == [delivery.tracking_code]


def test_download_before_done_is_409(dispatcher_client, dispatcher):
    report = Report.objects.create(kind="deliveries_csv", requested_by=dispatcher)

    detail = dispatcher_client.get(f"{URL}{report.pk}/").json()
    assert (detail["status"], detail["download_url"]) == (ReportStatus.QUEUED, None)
    response = dispatcher_client.get(f"{URL}{report.pk}/download/")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == ReportNotReady.code


def test_a_user_sees_only_their_own_reports(client_for, dispatcher):
    mine = Report.objects.create(kind="deliveries_csv", requested_by=dispatcher)
    theirs = Report.objects.create(kind="deliveries_csv", requested_by=UserFactory(dispatcher=True))
    client = client_for(dispatcher)

    assert [r["id"] for r in client.get(URL).json()["results"]] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(f"{URL}{theirs.pk}/download/").status_code == 404


def test_drivers_and_anonymous_may_not(driver_client, anon_client):
    body = {"kind": "deliveries_csv", "filters": {}}
    assert driver_client.post(URL, body).status_code == 403
    assert driver_client.get(URL).status_code == 403
    assert anon_client.post(URL, body).status_code == 401


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"kind": "pdf", "filters": {}}, "kind", "invalid_choice"),
        ({"kind": "deliveries_csv", "filters": {"colour": "red"}}, "filters", "unknown_filter"),
        (
            {"kind": "deliveries_csv", "filters": {"status": ["lost"]}},
            "filters.status",
            "invalid_choice",  # the list's own code for ?status=lost
        ),
    ],
)
def test_bad_requests_say_what_is_wrong(dispatcher_client, body, attr, code):
    response = dispatcher_client.post(URL, body)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == (attr, code)
    assert not Report.objects.exists()


# Limits ------------------------------------------------------------------------------


def test_a_user_has_a_few_reports_in_the_works_at_most(dispatcher_client, dispatcher, settings):
    settings.REPORTS_AT_ONCE = 2
    other = UserFactory(dispatcher=True)
    Report.objects.create(kind="deliveries_csv", requested_by=other)  # not theirs
    for status in (ReportStatus.QUEUED, ReportStatus.RUNNING):
        Report.objects.create(kind="deliveries_csv", requested_by=dispatcher, status=status)
    Report.objects.create(kind="deliveries_csv", requested_by=dispatcher, status="done")

    response = dispatcher_client.post(URL, {"kind": "deliveries_csv", "filters": {}})

    assert response.status_code == 429
    [error] = response.json()["errors"]
    assert error["code"] == "too_many_reports"
    assert Report.objects.filter(requested_by=dispatcher).count() == 3

    Report.objects.filter(requested_by=dispatcher, status=ReportStatus.RUNNING).update(
        status=ReportStatus.DONE
    )
    assert dispatcher_client.post(URL, {"kind": "deliveries_csv"}).status_code == 202


def test_thousands_of_unknown_filter_keys_get_a_short_answer(dispatcher_client):
    filters = {f"key{n}": 1 for n in range(50_000)}

    response = dispatcher_client.post(URL, {"kind": "deliveries_csv", "filters": filters})

    assert response.status_code == 400
    assert len(response.content) < 1000
    [error] = response.json()["errors"]
    assert error["code"] == "unknown_filter"
    assert "and 49990 more" in error["detail"]
    assert not Report.objects.exists()


def test_a_report_search_has_the_lists_limits(dispatcher_client):
    words = " ".join(["b"] * 2000)

    response = dispatcher_client.post(URL, {"kind": "deliveries_csv", "filters": {"search": words}})

    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"search_too_long"}
    assert not Report.objects.exists()
