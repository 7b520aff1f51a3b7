"""The advisor's caseload page: the whole caseload, in a number of queries that does not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_whole_caseload_shows_on_one_page(agency, advisor):
    mine = SeekerFactory.create_batch(3, agency=agency, followed=True, referent=advisor)
    other = SeekerFactory(agency=agency, followed=True, referent=AdvisorFactory(agency=agency))

    _, page = _queries(login(advisor.user), reverse("advisors:home"))

    for seeker in mine:
        assert seeker.user.get_full_name() in page
    assert other.user.get_full_name() not in page
    assert page.count("data-seeker=") == 3
    assert "3 demandeurs suivis, capacité 180" in page


def test_admin_seeker_list_query_count_does_not_grow_with_rows(agency, advisor, manager):
    client = login(manager)
    SeekerFactory.create_batch(2, agency=agency, followed=True, referent=advisor)
    few, _ = _queries(client, reverse("admin:seekers_seeker_changelist"))
    SeekerFactory.create_batch(30, agency=agency, followed=True, referent=advisor)
    many, _ = _queries(client, reverse("admin:seekers_seeker_changelist"))

    assert few == many


def test_admin_advisor_list_query_count_does_not_grow_with_rows(agency, manager):
    client = login(manager)
    AdvisorFactory.create_batch(2, agency=agency)
    few, _ = _queries(client, reverse("admin:advisors_advisor_changelist"))
    AdvisorFactory.create_batch(10, agency=agency, signs_lsf=True)
    many, _ = _queries(client, reverse("admin:advisors_advisor_changelist"))

    assert few == many
