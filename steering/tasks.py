"""Background tasks of the steering app."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User


@task()
def send_import_invitations(user_ids: list[int]) -> int:
    """Invites each imported seeker to choose a password (allauth's reset link) and enrol."""
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        path = reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Your agency invites you to the 100% web follow-up")
            body = _(
                "Hello %(name)s,\n\nYour Pôle emploi agency offers to follow you 100%% online, "
                "by webcam and instant messaging. It is voluntary and reversible.\n\n"
                "To accept, choose your password here, then complete your enrolment:\n%(url)s\n"
            ) % {"name": user.get_full_name(), "url": settings.PORTAL_BASE_URL + path}
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent
