import factory
from allauth.account.models import EmailAddress

from accounts.models import Role, User
from agencies.models import Agency, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["name"]

    name = "Hauts-de-France"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["code"]

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Agence {n}")
    code = factory.Sequence(lambda n: f"agence-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    role = Role.SEEKER
    password = factory.django.Password("un-mot-de-passe-solide")

    class Params:
        manager = factory.Trait(role=Role.MANAGER, is_staff=True)
        advisor = factory.Trait(role=Role.ADVISOR)
        superuser = factory.Trait(role=Role.MANAGER, is_staff=True, is_superuser=True)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
