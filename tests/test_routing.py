import pytest
from django.db import router
from django.test import override_settings

from partybuild.routers import reading_reports
from scoring.models import AnnualResult

DATABASES_WITH_REPLICA = {"default": {}, "replica": {}}


# Only the router reads the aliases here; no connection is opened to them.
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@override_settings(DATABASES=DATABASES_WITH_REPLICA)
def test_reports_read_from_the_replica_and_write_to_the_primary():
    assert router.db_for_read(AnnualResult) == "default"
    with reading_reports():
        assert router.db_for_read(AnnualResult) == "replica"
        assert router.db_for_write(AnnualResult) == "default"
    assert router.db_for_read(AnnualResult) == "default"


def test_without_a_replica_reports_read_from_the_primary():
    with reading_reports():
        assert router.db_for_read(AnnualResult) == "default"
