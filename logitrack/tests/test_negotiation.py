"""The renderer chosen for an Accept header is remembered, and answers stay DRF's."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/vehicles/"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*"])
def test_json_is_chosen_again_and_again(dispatcher_client, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    for _ in range(2):
        response = dispatcher_client.get(URL, **headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"


def test_an_unacceptable_type_is_refused_every_time(dispatcher_client):
    dispatcher_client.get(URL)  # something remembered already
    for _ in range(2):
        response = dispatcher_client.get(URL, HTTP_ACCEPT="text/html")
        assert response.status_code == 406
        assert response.json()["errors"][0]["code"] == "not_acceptable"


def test_a_url_format_still_goes_through_drf(dispatcher_client):
    assert dispatcher_client.get(URL, {"format": "json"}).status_code == 200
    assert dispatcher_client.get(URL, {"format": "xml"}).status_code == 404
    assert dispatcher_client.get(URL).status_code == 200  # remembered choice unharmed
