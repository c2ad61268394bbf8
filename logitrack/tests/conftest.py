import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="session")
def openapi_schema_file(django_db_setup, django_db_blocker, tmp_path_factory):
    """The OpenAPI schema, generated (validated, failing on any warning) once for the
    session: generating it takes a noticeable moment."""
    path = tmp_path_factory.mktemp("openapi") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return path


@pytest.fixture(scope="session")
def openapi_schema(openapi_schema_file) -> dict:
    return yaml.safe_load(openapi_schema_file.read_text())
