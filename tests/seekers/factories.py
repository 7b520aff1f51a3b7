import factory
from django.utils import timezone

from seekers.models import (
    AccessibilityNeed,
    AgeBand,
    AssignmentReason,
    EnrolmentStep,
    FollowUpStatus,
    ReferentAssignment,
    Seeker,
)
from tests.accounts.factories import AgencyFactory, UserFactory


class SeekerFactory(factory.django.DjangoModelFactory):
    """A seeker mid-enrolment by default; traits put them further along."""

    class Meta:
        model = Seeker
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    age_band = AgeBand.FROM_25_TO_49

    class Params:
        declared = factory.Trait(
            enrolment_step=EnrolmentStep.ACCESSIBILITY,
            declared_device_with_webcam=True,
            declared_good_connection=True,
            consent_given_at=factory.LazyFunction(timezone.now),
            consent_version="2015-03",
        )
        awaiting_check = factory.Trait(declared=True, enrolment_step=EnrolmentStep.EQUIPMENT_CHECK)
        signing = factory.Trait(accessibility_need=AccessibilityNeed.DEAF_SIGNING)
        followed = factory.Trait(
            declared=True,
            status=FollowUpStatus.FOLLOWED_ONLINE,
            enrolment_step=EnrolmentStep.DONE,
            enrolled_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def assignment(obj, create, extracted, **kwargs):
        if create and obj.referent_id:
            ReferentAssignment.objects.create(
                seeker=obj, advisor=obj.referent, reason=AssignmentReason.AUTOMATIC
            )
