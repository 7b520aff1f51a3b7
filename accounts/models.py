"""People of the portal: one user model, the email as login, and a role."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SEEKER = "seeker", _("Job seeker")
    ADVISOR = "advisor", _("Web advisor")
    MANAGER = "manager", _("Agency manager")


class UserQuerySet(models.QuerySet):
    def managers_of(self, agency):
        return self.filter(role=Role.MANAGER, agency=agency, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.MANAGER)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SEEKER)
    # Managers steer one agency; advisors and seekers carry theirs on their profile.
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("managed agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managers",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def is_seeker(self) -> bool:
        return self.role == Role.SEEKER

    @property
    def is_advisor(self) -> bool:
        return self.role == Role.ADVISOR

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER
