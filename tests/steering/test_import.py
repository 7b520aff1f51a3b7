"""Import of seekers from CSV: a row-by-row report; a file with errors imports nothing."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from seekers.models import EnrolmentStep, FollowUpStatus, Seeker, TimelineKind
from tests.accounts.factories import UserFactory
from tests.conftest import login

pytestmark = pytest.mark.django_db

GOOD = (
    "email;first_name;last_name;age_band;accessibility_need;preferred_channel;phone\n"
    "lea.martin@example.test;Léa;Martin;under_25;none;chat;06 11 22 33 44\n"
    "omar.dupuis@example.test;Omar;Dupuis;50_plus;deaf_signing;video;\n"
)


def _post(client, agency, content: bytes, name="seekers.csv"):
    return client.post(
        reverse("admin:steering_import"),
        {"agency": agency.pk, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


def test_a_good_file_creates_enrolling_seekers_and_invites_them(
    agency, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(login(manager), agency, GOOD.encode())

    assert response.status_code == 302
    seekers = Seeker.objects.select_related("user").order_by("user__email")
    assert [s.user.email for s in seekers] == [
        "lea.martin@example.test",
        "omar.dupuis@example.test",
    ]
    omar = seekers[1]
    assert omar.signs_lsf and omar.agency == agency
    assert (omar.status, omar.enrolment_step) == (
        FollowUpStatus.ENROLLING,
        EnrolmentStep.DECLARATIONS,
    )
    assert not omar.user.has_usable_password()
    assert omar.timeline.get().kind == TimelineKind.IMPORTED
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lea.martin@example.test",
        "omar.dupuis@example.test",
    ]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_a_file_with_errors_imports_nothing_and_reports_each_row(agency, manager):
    UserFactory(email="deja@example.test")
    content = (
        GOOD
        + "deja@example.test;Jean;Déjà;;;;\n"
        + "pas-un-email;Ana;Li;;;;\n"
        + "lea.martin@example.test;Léa;Bis;;;;\n"
        + "x@example.test;;Sans-prénom;elderly;;;\n"
    ).encode()

    response = _post(login(manager), agency, content)

    assert response.status_code == 400
    errors = response.context["report"].errors
    assert (4, "email", "Un compte utilise déjà cette adresse e-mail.") in errors
    assert any(line == 5 and column == "email" for line, column, _ in errors)
    assert (6, "email", "Cette adresse apparaît deux fois dans le fichier (ligne 2).") in errors
    assert {(line, column) for line, column, _ in errors if line == 7} == {
        (7, "first_name"),
        (7, "age_band"),
    }
    assert User.objects.count() == 2  # the manager and the existing account only
    assert not Seeker.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00b\x00a\x00d", "encodé en UTF-8"),
        (b"name;surname\nA;B\n", "Colonne(s) manquante(s)"),
        (b"email;first_name;last_name\n", "aucun demandeur"),
        (b"email,first_name,last_name\n" + b"a@b.test,A,B\n" * 5001, "plus de 5 000"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(agency, manager, content, message):
    response = _post(login(manager), agency, content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Seeker.objects.exists()


def test_a_manager_cannot_import_into_another_agency(agency, other_agency, manager):
    response = _post(login(manager), other_agency, GOOD.encode())

    assert response.status_code == 200
    assert "agency" in response.context["form"].errors
    assert not Seeker.objects.exists()
