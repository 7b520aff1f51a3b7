"""Figures fed by interviews, chat and workshops, against hand-computed data."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews.models import Status
from steering import selectors
from tests.advisors.factories import AdvisorFactory
from tests.chat.factories import ConversationFactory, MessageFactory
from tests.conftest import login
from tests.interviews.factories import AppointmentFactory
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _table(response, key):
    return next(t for t in response.context["tables"] if t.key == key)


def _at(days_ago: int, hour: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS)


def test_interviews_per_half_day_and_outcomes(agency, advisor, manager):
    seekers = [SeekerFactory(agency=agency, followed=True, referent=advisor) for _ in range(6)]
    # Monday morning: 3 held; same day afternoon: 1 held; another morning: 2 held.
    for seeker, start in zip(
        seekers, [_at(3, 9), _at(3, 10), _at(3, 11), _at(3, 14), _at(2, 9), _at(2, 10)], strict=True
    ):
        AppointmentFactory(advisor=advisor, seeker=seeker, starts_at=start, status=Status.HELD)
    AppointmentFactory(
        advisor=advisor, seeker=seekers[0], starts_at=_at(1, 9), status=Status.SEEKER_ABSENT
    )
    AppointmentFactory(
        advisor=advisor, seeker=seekers[1], starts_at=_at(1, 10), status=Status.TECHNICAL_FAILURE
    )

    response = login(manager).get(reverse("admin:steering_figures"))

    half_days = {row[0]: row[1:] for row in _table(response, "half_days").rows}
    assert half_days[str(advisor.user)] == [2.0, 6, 3]
    outcomes = dict(_table(response, "outcomes").rows)
    assert list(outcomes.values())[:3] == [6, 1, 1]


def test_chat_first_response_time_median_and_p90(agency, advisor, manager):
    now = timezone.now()
    waits = [10, 20, 30, 40, 100]  # minutes
    for wait in waits:
        seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
        conversation = ConversationFactory(seeker=seeker)
        asked = now - dt.timedelta(hours=5)
        MessageFactory(conversation=conversation, sent_at=asked)
        # A second seeker message before the answer does not start a new wait.
        MessageFactory(conversation=conversation, sent_at=asked + dt.timedelta(minutes=1))
        MessageFactory(
            conversation=conversation, sent_at=asked + dt.timedelta(minutes=wait), from_advisor=True
        )
    unanswered = ConversationFactory(
        seeker=SeekerFactory(agency=agency, followed=True, referent=advisor)
    )
    MessageFactory(conversation=unanswered, sent_at=now - dt.timedelta(hours=1))

    figure = selectors.chat_first_response(
        selectors.steerable_agencies(manager), selectors.Period.default()
    )

    median, p90, answered = (row[1] for row in figure.rows)
    assert median == 30.0
    # percentile_cont(0.9) over 10, 20, 30, 40, 100 interpolates: 40 + 0.6 * 60 = 76.
    assert p90 == 76.0
    assert answered == 5


def test_chat_first_response_across_the_period_start_and_agencies(
    agency, other_agency, advisor, manager
):
    """A wait starts at a seeker message whose previous message is not the seeker's, even when
    that previous message is older than the period; other agencies' conversations do not count."""
    period = selectors.Period.default()
    start, _end = period.bounds
    before = start - dt.timedelta(hours=2)

    def conversation(agency_, referent):
        seeker = SeekerFactory(agency=agency_, followed=True, referent=referent)
        return ConversationFactory(seeker=seeker)

    # The seeker asked before the period and again inside it: no new wait starts inside it.
    still_waiting = conversation(agency, advisor)
    MessageFactory(conversation=still_waiting, sent_at=before)
    MessageFactory(conversation=still_waiting, sent_at=start + dt.timedelta(hours=1))
    MessageFactory(
        conversation=still_waiting, sent_at=start + dt.timedelta(hours=3), from_advisor=True
    )
    # The advisor spoke last before the period: the seeker's message inside it starts a wait.
    answered = conversation(agency, advisor)
    MessageFactory(conversation=answered, sent_at=before, from_advisor=True)
    MessageFactory(conversation=answered, sent_at=start + dt.timedelta(hours=1))
    MessageFactory(conversation=answered, sent_at=start + dt.timedelta(hours=1, minutes=12))
    MessageFactory(
        conversation=answered, sent_at=start + dt.timedelta(hours=1, minutes=45), from_advisor=True
    )
    # Another agency's quick answer is not the manager's.
    foreign = conversation(other_agency, AdvisorFactory(agency=other_agency))
    MessageFactory(conversation=foreign, sent_at=start + dt.timedelta(hours=1))
    MessageFactory(
        conversation=foreign, sent_at=start + dt.timedelta(hours=1, minutes=1), from_advisor=True
    )

    figure = selectors.chat_first_response(selectors.steerable_agencies(manager), period)

    median, p90, answered_count = (row[1] for row in figure.rows)
    assert answered_count == 1
    assert median == p90 == 45.0


def test_workshop_fill_rates(agency, advisor, manager):
    from ateliers.models import LiveSession, Registration, RegistrationStatus, Workshop

    workshop = Workshop.objects.create(
        title="Réaliser son CV", slug="cv-test", objectives="CV", duration_minutes=60
    )
    session = LiveSession.objects.create(
        workshop=workshop, agency=agency, facilitator=advisor, starts_at=_at(2, 10), capacity=4
    )
    for index in range(3):
        Registration.objects.create(
            session=session,
            seeker=SeekerFactory(agency=agency),
            status=RegistrationStatus.REGISTERED if index < 3 else RegistrationStatus.WAITING,
        )
    Registration.objects.create(
        session=session, seeker=SeekerFactory(agency=agency), status=RegistrationStatus.CANCELLED
    )

    response = login(manager).get(reverse("admin:steering_figures"))

    assert _table(response, "fill_rates").rows == [["Réaliser son CV", 75, 3, 4, 1]]
