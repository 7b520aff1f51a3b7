import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from accounts.models import Role, User
from agencies.models import Agency, Region

# Advisors and managers must have an authenticator app (accounts.second_factor): the factories
# give them one with this secret, so that a test can compute its codes (totp_code).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, *, at: float | None = None) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(at or time.time()) // 30))


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

    @factory.post_generation
    def second_factor(obj, create, extracted, **kwargs):
        """Staff get an authenticator app unless `second_factor=False`."""
        from accounts.second_factor import requires_second_factor

        if create and extracted is not False and requires_second_factor(obj):
            TOTP.activate(obj, TOTP_SECRET)
