"""The permission predicates, for the people who may and for everybody else."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from interviews.permissions import (
    can_change,
    can_confirm,
    can_join_call,
    can_write_notes,
    role_in,
)
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.interviews.factories import AppointmentFactory, followed_seeker

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment():
    return AppointmentFactory(now_open=True)


@pytest.fixture
def others(appointment):
    agency = appointment.advisor.agency
    return [
        AnonymousUser(),
        followed_seeker(appointment.advisor).user,
        AdvisorFactory(agency=agency).user,
        UserFactory(manager=True, agency=agency),
        UserFactory(superuser=True),
    ]


def test_roles(appointment, others):
    assert role_in(appointment.advisor.user, appointment) == "advisor"
    assert role_in(appointment.seeker.user, appointment) == "seeker"
    assert all(role_in(user, appointment) is None for user in others)


def test_joining_the_call(appointment, others):
    assert can_join_call(appointment.advisor.user, appointment)
    assert can_join_call(appointment.seeker.user, appointment)
    assert not any(can_join_call(user, appointment) for user in others)
    too_early = appointment.starts_at - dt.timedelta(minutes=16)
    assert not can_join_call(appointment.seeker.user, appointment, now=too_early)
    too_late = appointment.ends_at + dt.timedelta(minutes=31)
    assert not can_join_call(appointment.seeker.user, appointment, now=too_late)


def test_changing_and_confirming(appointment, others):
    assert can_change(appointment.advisor.user, appointment)
    assert can_change(appointment.seeker.user, appointment)
    assert not any(can_change(user, appointment) for user in others)
    proposal = AppointmentFactory(
        proposed=True, starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    )
    assert can_confirm(proposal.seeker.user, proposal)
    assert not can_confirm(proposal.advisor.user, proposal)
    assert not can_confirm(appointment.seeker.user, appointment)  # already confirmed
    assert not any(can_confirm(user, proposal) for user in others)


def test_notes_are_for_the_advisor_only(appointment, others):
    assert can_write_notes(appointment.advisor.user, appointment)
    assert not can_write_notes(appointment.seeker.user, appointment)
    assert not any(can_write_notes(user, appointment) for user in others)
