"""The caseload dashboard: every alert rule, filters, search, sort, live refresh, and a query
count that stays the same from 10 to 250 seekers."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advisors import dashboard
from advisors.dashboard import Alert
from interviews.models import Status
from tests.chat.factories import ConversationFactory, MessageFactory
from tests.conftest import login
from tests.equipment.factories import EquipmentCheckFactory
from tests.interviews.factories import AppointmentFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def seeker_of(advisor, **kwargs):
    kwargs.setdefault("enrolled_at", NOW - dt.timedelta(days=3))
    return SeekerFactory(agency=advisor.agency, followed=True, referent=advisor, **kwargs)


def rows_by_seeker(advisor, **kwargs):
    return {row.seeker.pk: row for row in dashboard.caseload_rows(advisor, now=NOW, **kwargs)}


def test_a_newly_followed_seeker_has_no_alert(advisor):
    seeker = seeker_of(advisor)

    row = rows_by_seeker(advisor)[seeker.pk]

    assert row.alerts == [] and row.unread == 0 and row.last_contact is None


def test_no_contact_for_thirty_days(advisor):
    silent = seeker_of(advisor, enrolled_at=NOW - dt.timedelta(days=60))
    chatted = seeker_of(advisor, enrolled_at=NOW - dt.timedelta(days=60))
    conversation = ConversationFactory(seeker=chatted)
    MessageFactory(
        conversation=conversation, sent_at=NOW - dt.timedelta(days=29), from_advisor=True
    )
    met = seeker_of(advisor, enrolled_at=NOW - dt.timedelta(days=60))
    AppointmentFactory(
        advisor=advisor,
        seeker=met,
        starts_at=NOW - dt.timedelta(days=10),
        status=Status.HELD,
    )

    rows = rows_by_seeker(advisor)

    assert Alert.NO_CONTACT in rows[silent.pk].alerts
    assert Alert.NO_CONTACT not in rows[chatted.pk].alerts
    assert Alert.NO_CONTACT not in rows[met.pk].alerts
    assert rows[met.pk].last_contact == NOW - dt.timedelta(days=10) + dt.timedelta(minutes=45)


def test_message_over_the_response_target_and_unread_count(advisor):
    target = advisor.agency.response_target_minutes
    late = seeker_of(advisor)
    MessageFactory(
        conversation=ConversationFactory(seeker=late),
        sent_at=NOW - dt.timedelta(minutes=target + 5),
    )
    recent = seeker_of(advisor)
    conversation = ConversationFactory(seeker=recent)
    MessageFactory(conversation=conversation, sent_at=NOW - dt.timedelta(minutes=5))
    MessageFactory(conversation=conversation, sent_at=NOW - dt.timedelta(minutes=4))

    rows = rows_by_seeker(advisor)

    assert Alert.OVER_TARGET in rows[late.pk].alerts
    assert rows[late.pk].waited_minutes == target + 5
    assert Alert.OVER_TARGET not in rows[recent.pk].alerts
    assert rows[recent.pk].unread == 2
    assert rows[late.pk].unread == 1


def test_failed_equipment_check_only_when_the_latest_failed(advisor):
    failing = seeker_of(advisor)
    EquipmentCheckFactory(
        user=failing.user, seeker=failing, started_at=NOW - dt.timedelta(days=2), failed=True
    )
    mended = seeker_of(advisor)
    EquipmentCheckFactory(
        user=mended.user, seeker=mended, started_at=NOW - dt.timedelta(days=2), failed=True
    )
    EquipmentCheckFactory(user=mended.user, seeker=mended, started_at=NOW - dt.timedelta(days=1))

    rows = rows_by_seeker(advisor)

    assert Alert.FAILED_CHECK in rows[failing.pk].alerts
    assert Alert.FAILED_CHECK not in rows[mended.pk].alerts


def test_recent_absence_and_technical_failure_are_told_apart(advisor):
    absent = seeker_of(advisor)
    AppointmentFactory(
        advisor=advisor,
        seeker=absent,
        starts_at=NOW - dt.timedelta(days=5),
        status=Status.SEEKER_ABSENT,
    )
    failed = seeker_of(advisor)
    AppointmentFactory(
        advisor=advisor,
        seeker=failed,
        starts_at=NOW - dt.timedelta(days=4),
        status=Status.TECHNICAL_FAILURE,
    )
    old = seeker_of(advisor)
    AppointmentFactory(
        advisor=advisor,
        seeker=old,
        starts_at=NOW - dt.timedelta(days=45),
        status=Status.SEEKER_ABSENT,
    )

    rows = rows_by_seeker(advisor)

    assert rows[absent.pk].alerts == [Alert.ABSENCE]
    assert rows[failed.pk].alerts == [Alert.TECHNICAL]
    assert Alert.ABSENCE not in rows[old.pk].alerts


def test_next_interview_is_the_earliest_upcoming_one(advisor):
    seeker = seeker_of(advisor)
    later = AppointmentFactory(advisor=advisor, seeker=seeker, starts_at=NOW + dt.timedelta(days=5))
    sooner = AppointmentFactory(
        advisor=advisor, seeker=seeker, starts_at=NOW + dt.timedelta(days=1)
    )

    row = rows_by_seeker(advisor)[seeker.pk]

    assert row.next_appointment_id == sooner.pk != later.pk


def test_search_filter_and_sort(advisor):
    anna = seeker_of(advisor, user__first_name="Anna", user__last_name="Zola")
    bruno = seeker_of(advisor, user__first_name="Bruno", user__last_name="Abel")
    MessageFactory(
        conversation=ConversationFactory(seeker=anna), sent_at=NOW - dt.timedelta(days=1)
    )

    by_name = dashboard.caseload_rows(advisor, now=NOW, sort="name")
    by_unread = dashboard.caseload_rows(advisor, now=NOW, sort="unread")
    found = dashboard.caseload_rows(advisor, now=NOW, q="zol")
    alerted = dashboard.caseload_rows(advisor, now=NOW, alert=Alert.OVER_TARGET)

    assert [r.seeker for r in by_name] == [bruno, anna]
    assert [r.seeker for r in by_unread] == [anna, bruno]
    assert [r.seeker for r in found] == [anna]
    assert [r.seeker for r in alerted] == [anna]


def test_the_page_and_its_live_partial(advisor):
    seeker = seeker_of(advisor)
    MessageFactory(conversation=ConversationFactory(seeker=seeker))
    client = login(advisor.user)

    page = client.get(reverse("advisors:home"))
    partial = client.get(reverse("advisors:home"), {"sort": "unread"}, HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    content = page.content.decode()
    assert 'hx-trigger="every 20s"' in content
    assert seeker.user.get_full_name() in content
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'id="caseload"' in partial.content.decode()
    assert "messages non lus" in partial.content.decode()


def test_each_row_as_the_advisor_reads_it(advisor):
    """The row's cells (prepared in Python once per page, not by tags per cell): links, dates
    in the French short formats, the wait against the target, labels and the LSF badge."""
    target = advisor.agency.response_target_minutes
    seeker = seeker_of(advisor, signing=True)
    # Half a minute into the minute: the page's own clock reads target + 7 whole minutes.
    sent_at = timezone.now() - dt.timedelta(minutes=target + 7, seconds=30)
    MessageFactory(conversation=ConversationFactory(seeker=seeker), sent_at=sent_at)
    coming = AppointmentFactory(
        advisor=advisor, seeker=seeker, starts_at=timezone.now() + dt.timedelta(days=2)
    )
    quiet = seeker_of(advisor)

    page = login(advisor.user).get(reverse("advisors:home")).content.decode()

    row = page.split(f'data-seeker="{seeker.pk}"')[1].split("</tr>")[0]
    sent_local = timezone.localtime(sent_at)
    starts_local = timezone.localtime(coming.starts_at)
    assert f'href="{reverse("casefile:file", args=[seeker.pk])}"' in row
    assert f'href="{reverse("chat:open_for_seeker", args=[seeker.pk])}"' in row
    assert f'href="{reverse("interviews:detail", args=[coming.pk])}"' in row
    assert f'<time datetime="{sent_local.isoformat()}">{sent_local:%d/%m/%Y}</time>' in row
    assert f"{starts_local:%d/%m/%Y %H:%M}</a>" in row
    assert f"{target + 7} min (objectif {target})" in row
    assert "Message au-delà du délai de réponse" in row
    assert "Suivi en ligne" in row and ">LSF<" in row
    quiet_row = page.split(f'data-seeker="{quiet.pk}"')[1].split("</tr>")[0]
    assert "jamais" in quiet_row and "LSF" not in quiet_row
    assert reverse("chat:open_for_seeker", args=[quiet.pk]) not in quiet_row


def _add_seekers(advisor, count, offset):
    for index in range(count):
        seeker = seeker_of(advisor)
        if index % 10 == 0:
            MessageFactory(conversation=ConversationFactory(seeker=seeker))
            AppointmentFactory(
                advisor=advisor,
                seeker=seeker,
                starts_at=NOW + dt.timedelta(days=1, hours=offset + index),
            )


def _measure(client, expected_rows) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("advisors:home"))
    assert response.status_code == 200
    assert response.content.decode().count("data-seeker=") == expected_rows
    return len(captured)


def test_query_count_is_the_same_at_10_and_250_seekers(advisor):
    client = login(advisor.user)
    _add_seekers(advisor, 10, 0)
    client.get(reverse("advisors:home"))  # the first request of a session saves it
    at_10 = _measure(client, 10)
    _add_seekers(advisor, 240, 100)
    at_250 = _measure(client, 250)

    assert at_10 == at_250
    assert at_250 <= 12


def test_agenda_lists_today_and_the_week_with_join_buttons(advisor):
    today_start = timezone.localtime(NOW).replace(hour=10, minute=0, second=0, microsecond=0)
    soon = AppointmentFactory(advisor=advisor, starts_at=today_start + dt.timedelta(days=1))
    far = AppointmentFactory(advisor=advisor, starts_at=today_start + dt.timedelta(days=9))

    page = login(advisor.user).get(reverse("advisors:agenda")).content.decode()

    assert reverse("interviews:call", args=[soon.pk]) in page
    assert reverse("interviews:call", args=[far.pk]) not in page
    assert "Rejoindre l'entretien avec" in page
