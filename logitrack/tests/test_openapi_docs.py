"""What the docs show of each operation: a summary, a tag, and descriptions for users."""

import re

import pytest

from logitrack.openapi_docs import DESCRIPTIONS, SUMMARIES
from users.tests.factories import TEST_PASSWORD

METHODS = {"get", "post", "put", "patch", "delete"}
# Words about how the server works inside, not about what the API does.
INTERNALS = re.compile(
    r"\b(cach\w*|quer(y|ies)|sql|postgres\w*|redis|celery|selectors?|workers?)\b|``",
    re.IGNORECASE,
)


def operations(schema: dict) -> list[tuple[str, dict]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in METHODS
    ]


def test_every_operation_has_a_summary_and_a_described_tag(openapi_schema):
    described = {tag["name"] for tag in openapi_schema["tags"] if tag.get("description")}
    found = operations(openapi_schema)

    assert len(found) >= 38
    assert [name for name, op in found if not op.get("summary", "").strip()] == []
    assert [name for name, op in found if not op.get("tags")] == []
    assert [name for name, op in found if not set(op["tags"]) <= described] == []


def test_summaries_and_descriptions_name_only_operations_that_exist(openapi_schema):
    ids = {op["operationId"] for _, op in operations(openapi_schema)}

    assert set(SUMMARIES) - ids == set()
    assert set(DESCRIPTIONS) - ids == set()


def test_descriptions_speak_to_users_not_of_internals(openapi_schema):
    texts = {"info": openapi_schema["info"]["description"]} | {
        name: op.get("description", "") for name, op in operations(openapi_schema)
    }

    assert {name: text for name, text in texts.items() if INTERNALS.search(text)} == {}


@pytest.mark.parametrize(
    "text",
    ["one query for the page", "served from the cache", "built by a worker", "``delivery_page``"],
)
def test_internals_are_recognised(text):
    assert INTERNALS.search(text)


def test_sign_in_names_the_access_token_first(anon_client, driver, openapi_schema):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": driver.username, "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert list(response.json()) == ["access", "refresh"]
    documented = openapi_schema["components"]["schemas"]["TokenObtainPair"]["properties"]
    assert list(documented) == ["access", "refresh"]
