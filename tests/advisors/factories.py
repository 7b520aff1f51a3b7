import factory

from advisors.models import Advisor, AdvisorState, Skill
from tests.accounts.factories import AgencyFactory, UserFactory


class AdvisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, advisor=True)
    agency = factory.SubFactory(AgencyFactory)
    capacity = 180

    class Params:
        absent = factory.Trait(state=AdvisorState.ABSENT)

    @factory.post_generation
    def signs_lsf(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.add(Skill.objects.get(code=Skill.LSF))
