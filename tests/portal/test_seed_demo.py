"""seed_demo: the Lille Grand-Sud demo agency, idempotent, with the LSF rule honoured."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse

from accounts.models import Role, User
from advisors.models import Advisor
from seekers.models import AccessibilityNeed, FollowUpStatus, Seeker

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_seed_creates_the_demo_agency_and_is_idempotent(capsys):
    call_command("seed_demo", seekers=200)
    call_command("seed_demo", seekers=200)

    assert User.objects.filter(role=Role.MANAGER, email="manager@demo.test").count() == 1
    advisors = Advisor.objects.select_related("user").prefetch_related("skills")
    assert advisors.count() == 11
    signing = [a for a in advisors if a.signs_lsf]
    assert [a.user.email for a in signing] == ["conseiller11@demo.test"]
    assert Seeker.objects.count() == 200
    assert Seeker.objects.filter(status=FollowUpStatus.FOLLOWED_ONLINE).count() == 200
    deaf = Seeker.objects.filter(accessibility_need=AccessibilityNeed.DEAF_SIGNING)
    assert deaf.count() == 4  # 2%
    assert set(deaf.values_list("referent__user__email", flat=True)) == {"conseiller11@demo.test"}
    loads = dict(
        Advisor.objects.exclude(user__email="conseiller11@demo.test")
        .annotate(n=Count("caseload"))
        .values_list("user__email", "n")
    )
    assert max(loads.values()) - min(loads.values()) <= 1
    assert EmailAddress.objects.filter(verified=True).count() == 1 + 11 + 200
    assert User.objects.get(email="demandeur0001@demo.test").check_password("portail-demo-2015")
    output = capsys.readouterr().out
    assert "manager@demo.test" in output and "portail-demo-2015" in output


@override_settings(DEBUG=False)
def test_seed_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", seekers=1)
    assert not User.objects.exists()

    call_command("seed_demo", seekers=1, force=True)
    assert Seeker.objects.count() == 1


@override_settings(DEBUG=True)
def test_demo_accounts_can_log_in(client):
    call_command("seed_demo", seekers=3)

    response = client.post(
        "/accounts/login/", {"login": "demandeur0002@demo.test", "password": "portail-demo-2015"}
    )

    assert response.status_code == 302
    assert client.get("/espace/demandeur/").status_code == 200


@override_settings(DEBUG=True)
def test_demo_staff_sign_in_with_the_printed_second_factor_code(client, capsys):
    call_command("seed_demo", seekers=2)
    capsys.readouterr()

    response = client.post(
        "/accounts/login/", {"login": "conseiller01@demo.test", "password": "portail-demo-2015"}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    call_command("demo_totp_code")
    code = capsys.readouterr().out.split()[0]
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(reverse("advisors:home")).status_code == 200


def test_the_demo_code_command_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp_code")
