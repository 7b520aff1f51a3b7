"""A seeker's rights over their data: download everything, ask for erasure; and the purge of
what is past its retention period."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from seekers.models import FollowUpStatus, ReferentAssignment, Seeker

from .models import ErasureRequest, ErasureStatus
from .registry import categories


def seeker_export(*, seeker: Seeker) -> dict:
    """Every category of the seeker's personal data, as JSON-serialisable data."""
    return {
        "generated_at": timezone.now().isoformat(),
        "seeker_id": seeker.pk,
        "categories": {category.key: category.export(seeker) for category in categories()},
    }


def erasure_request(*, seeker: Seeker) -> ErasureRequest:
    """Files the seeker's request, once: asking again returns the pending one."""
    request, _created = ErasureRequest.objects.get_or_create(
        seeker=seeker, status=ErasureStatus.PENDING
    )
    return request


@transaction.atomic
def erasure_carry_out(*, request: ErasureRequest, by) -> ErasureRequest:
    """Removes what the law does not oblige the agency to keep, and pseudonymises the account.

    Holds the request row lock so that two managers never carry it out twice."""
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureStatus.PENDING:
        return request
    seeker = Seeker.objects.select_for_update().select_related("user").get(pk=request.seeker_id)
    removed, kept = {}, {}
    for category in categories():
        if category.erase is not None:
            removed[category.key] = category.erase(seeker)
        if category.kept:
            kept[category.key] = str(category.kept)
    now = timezone.now()
    ReferentAssignment.objects.filter(seeker=seeker, ended_at__isnull=True).update(ended_at=now)
    user = seeker.user
    address, name = user.email, user.get_full_name()
    transaction.on_commit(lambda: _tell_erasure_done(address, name))
    user.email = f"efface-{user.pk}@invalid.invalid"
    user.first_name = ""
    user.last_name = ""
    user.password = make_password(None)
    user.is_active = False
    user.save(update_fields=["email", "first_name", "last_name", "password", "is_active"])
    user.emailaddress_set.all().delete()
    seeker.referent = None
    seeker.status = FollowUpStatus.CLOSED
    seeker.phone = ""
    seeker.accessibility_details = ""
    seeker.return_comment = ""
    seeker.save(
        update_fields=["referent", "status", "phone", "accessibility_details", "return_comment"]
    )
    request.status = ErasureStatus.DONE
    request.handled_by = by
    request.handled_at = now
    request.report = {"removed": removed, "kept": kept}
    request.save(update_fields=["status", "handled_by", "handled_at", "report"])
    return request


def _tell_erasure_done(address: str, name: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        send_mail(
            _("Your data has been erased"),
            _(
                "Hello %(name)s,\n\nYour request has been carried out: your messages, files, "
                "recordings, notes and action plan are removed and your account is closed. "
                "Pôle emploi keeps the record of your follow-up, as the law requires.\n"
            )
            % {"name": name},
            None,
            [address],
        )


def purge_expired(*, now=None) -> dict:
    """Runs every category's purge; returns how many items each removed."""
    now = now or timezone.now()
    return {
        category.key: category.purge(now) for category in categories() if category.purge is not None
    }
