"""The RGAA accessibility statement: public, complete, and linked from every page's footer."""

import pytest
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db

STATEMENT = "/accessibilite/"


def test_statement_is_public_and_holds_what_the_rgaa_asks(client):
    response = client.get(STATEMENT)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Déclaration d'accessibilité" in html
    for heading in (
        "État de conformité",
        "partiellement conforme",
        "Non-conformités connues",
        "Dérogations pour charge disproportionnée",
        "Contenus non soumis à l'obligation d'accessibilité",
        "Retour d'information et contact",
        "Voies de recours",
        "Défenseur des droits",
    ):
        assert heading in html, heading
    assert 'href="https://formulaire.defenseurdesdroits.fr/"' in html
    assert "mailto:" in html


def test_statement_in_english(client):
    response = client.get(STATEMENT, headers={"accept-language": "en"})

    assert "Accessibility statement" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", STATEMENT]
)
def test_public_pages_link_to_the_statement_in_their_footer(client, url):
    html = client.get(url).content.decode()

    footer = html[html.index("<footer") :]
    assert f'href="{STATEMENT}"' in footer
    assert "Accessibilité : partiellement conforme" in footer


def test_seeker_advisor_and_manager_pages_link_to_the_statement(seeker, advisor, manager):
    pages = [
        (seeker.user, reverse("seekers:home")),
        (advisor.user, reverse("advisors:home")),
        (manager, reverse("admin:index")),
    ]
    for user, url in pages:
        response = login(user).get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        footer = html[html.index('<footer id="footer"') if "<footer id" in html else 0 :]
        assert f'href="{STATEMENT}"' in footer, url
