import datetime as dt

import factory
from django.utils import timezone

from interviews.models import (
    Appointment,
    AvailabilityException,
    ExceptionReason,
    Status,
    WeeklyAvailability,
)
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory


def followed_seeker(advisor, **kwargs):
    return SeekerFactory(agency=advisor.agency, referent=advisor, followed=True, **kwargs)


class WeeklyAvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyAvailability

    advisor = factory.SubFactory(AdvisorFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(12, 0)


class AvailabilityExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityException

    advisor = factory.SubFactory(AdvisorFactory)
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=4))
    reason = ExceptionReason.LEAVE


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A confirmed interview starting in two days, between an advisor and one of their seekers."""

    class Meta:
        model = Appointment

    advisor = factory.SubFactory(AdvisorFactory)
    seeker = factory.LazyAttribute(lambda o: followed_seeker(o.advisor))
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=45))
    status = Status.CONFIRMED
    created_at = factory.LazyAttribute(lambda o: o.starts_at - dt.timedelta(days=7))
    confirmed_at = factory.LazyAttribute(lambda o: o.created_at)

    class Params:
        proposed = factory.Trait(status=Status.PROPOSED, confirmed_at=None)
        now_open = factory.Trait(
            starts_at=factory.LazyFunction(
                lambda: timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)
            )
        )
        cancelled = factory.Trait(
            status=Status.CANCELLED,
            cancelled_at=factory.LazyFunction(timezone.now),
            cancel_reason="Empêchement",
        )
