"""The catalogue, lessons rendered safely, quizzes scored with feedback per answer, exercises,
and progress shown to the seeker and their advisor (and to nobody else)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ateliers import services
from ateliers.models import LessonProgress, QuizAttempt, Workshop
from ateliers.rendering import render_markdown
from tests.ateliers.factories import (
    LessonFactory,
    QuizChoiceFactory,
    QuizQuestionFactory,
    WorkshopFactory,
)
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    lesson = LessonFactory(quiz=True, title="Quiz CV")
    q1 = QuizQuestionFactory(lesson=lesson, prompt="Longueur idéale d'un CV ?")
    q1_right = QuizChoiceFactory(question=q1, text="Une page", is_correct=True, feedback="Oui.")
    q1_wrong = QuizChoiceFactory(question=q1, text="Quatre pages", feedback="Trop long.")
    q2 = QuizQuestionFactory(lesson=lesson, prompt="Que mettre ?")
    q2_a = QuizChoiceFactory(question=q2, text="Expériences", is_correct=True)
    q2_b = QuizChoiceFactory(question=q2, text="Formations", is_correct=True)
    q2_c = QuizChoiceFactory(question=q2, text="Numéro de sécurité sociale")
    return lesson, (q1, q1_right, q1_wrong), (q2, q2_a, q2_b, q2_c)


def test_quiz_score_counts_exact_sets_only(quiz, followed):
    lesson, (q1, right, wrong), (q2, a, b, c) = quiz
    result = services.quiz_submit(
        seeker=followed, lesson=lesson, answers={q1.pk: {right.pk}, q2.pk: {a.pk}}
    )
    assert (result.score, result.max_score) == (1, 2)
    assert [r.correct for r in result.questions] == [True, False]
    assert result.questions[1].missed == [b]

    result = services.quiz_submit(
        seeker=followed, lesson=lesson, answers={q1.pk: {right.pk, wrong.pk}, q2.pk: {a.pk, b.pk}}
    )
    assert (result.score, result.max_score) == (1, 2)
    assert QuizAttempt.objects.filter(seeker=followed, lesson=lesson).count() == 2
    assert LessonProgress.objects.filter(seeker=followed, lesson=lesson).count() == 1


def test_quiz_ignores_choices_of_other_questions(quiz, followed):
    lesson, (q1, right, wrong), (q2, a, b, c) = quiz
    result = services.quiz_submit(
        seeker=followed, lesson=lesson, answers={q1.pk: {a.pk}, q2.pk: {right.pk, a.pk, b.pk}}
    )
    assert result.score == 1  # q2 right; q1's foreign choice counts as no answer
    assert result.questions[0].chosen == []


def test_quiz_page_shows_score_and_feedback_per_answer(quiz, followed, make_client):
    lesson, (q1, right, wrong), (q2, a, b, c) = quiz
    client = make_client(followed.user)
    response = client.post(
        lesson.get_absolute_url(), {f"q{q1.pk}": [str(wrong.pk)], f"q{q2.pk}": [a.pk, b.pk]}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 / 2" in content
    assert "Trop long." in content  # the feedback of the chosen wrong answer
    assert "Une page" in content  # the right answer that was missed
    attempt = QuizAttempt.objects.get(seeker=followed)
    assert attempt.score == 1


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "## Titre\n\n[lien](https://example.fr) <script>alert(1)</script>"
        '<a href="javascript:alert(1)" onclick="x()">x</a> <img src=x onerror=alert(1)>'
    )
    assert "<h2>Titre</h2>" in html
    assert 'href="https://example.fr"' in html
    assert "<script" not in html and "javascript:" not in html
    assert "onclick" not in html and "onerror" not in html and "<img" not in html


def test_reading_lesson_completes_and_moves_on(followed, make_client):
    workshop = WorkshopFactory()
    first = LessonFactory(workshop=workshop, position=1, body="Voir <script>x</script> **gras**")
    second = LessonFactory(workshop=workshop, position=2)
    client = make_client(followed.user)
    page = client.get(first.get_absolute_url())
    assert "<strong>gras</strong>" in page.content.decode()
    assert "<script>x" not in page.content.decode()
    response = client.post(first.get_absolute_url())
    assert response.status_code == 302 and response.url == second.get_absolute_url()
    assert LessonProgress.objects.filter(seeker=followed, lesson=first).exists()


def test_exercise_answer_saved_and_seen_by_the_advisor(followed, advisor, make_client):
    lesson = LessonFactory(exercise=True, title="Mon pitch")
    response = make_client(followed.user).post(
        lesson.get_absolute_url(), {"body": "Je suis vendeuse depuis 5 ans."}
    )
    assert response.status_code == 302
    page = make_client(advisor.user).get(reverse("ateliers:seeker_progress", args=[followed.pk]))
    assert page.status_code == 200
    assert "Je suis vendeuse depuis 5 ans." in page.content.decode()


def test_unpublished_workshop_is_hidden(followed, make_client):
    lesson = LessonFactory(workshop=WorkshopFactory(unpublished=True))
    client = make_client(followed.user)
    assert client.get(lesson.workshop.get_absolute_url()).status_code == 404
    assert client.get(lesson.get_absolute_url()).status_code == 404


def test_progress_shown_to_seeker_and_referent_only(
    quiz, followed, advisor, other_advisor, other_seeker, manager, make_client
):
    lesson, (q1, right, _wrong), (q2, a, b, _c) = quiz
    services.quiz_submit(
        seeker=followed, lesson=lesson, answers={q1.pk: {right.pk}, q2.pk: {a.pk, b.pk}}
    )
    url = reverse("ateliers:seeker_progress", args=[followed.pk])
    own = make_client(followed.user).get(reverse("ateliers:catalogue")).content.decode()
    assert "Quiz CV : 2/2" in own
    assert "Quiz CV : 2/2" in make_client(advisor.user).get(url).content.decode()
    for stranger in (other_advisor.user, other_seeker.user, manager, followed.user):
        assert make_client(stranger).get(url).status_code == 404


def test_absent_referents_backup_sees_progress(agency, make_client):
    from tests.advisors.factories import AdvisorFactory

    backup = AdvisorFactory(agency=agency)
    referent = AdvisorFactory(agency=agency, absent=True, backup=backup)
    seeker = SeekerFactory(agency=agency, followed=True, referent=referent)
    url = reverse("ateliers:seeker_progress", args=[seeker.pk])
    assert make_client(backup.user).get(url).status_code == 200


def test_catalogue_query_count_does_not_grow(followed, make_client):
    client = make_client(followed.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("ateliers:catalogue")).status_code == 200
        return len(queries)

    workshop = WorkshopFactory()
    lesson = LessonFactory(workshop=workshop)
    services.lesson_complete(seeker=followed, lesson=lesson)
    few = count()
    for _ in range(5):
        w = WorkshopFactory()
        for position in range(1, 4):
            services.lesson_complete(
                seeker=followed, lesson=LessonFactory(workshop=w, position=position)
            )
    assert count() == few


def test_advisor_home_activity_query_count_does_not_grow(agency, advisor, make_client):
    client = make_client(advisor.user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("advisors:home")).status_code == 200
        return len(queries)

    SeekerFactory(agency=agency, followed=True, referent=advisor)
    few = count()
    lesson = LessonFactory()
    for _ in range(6):
        seeker = SeekerFactory(agency=agency, followed=True, referent=advisor)
        services.lesson_complete(seeker=seeker, lesson=lesson)
    assert count() == few


def test_seeker_pages_refuse_advisors_and_managers(advisor, manager, make_client):
    workshop = WorkshopFactory()
    for user in (advisor.user, manager):
        client = make_client(user)
        assert client.get(reverse("ateliers:catalogue")).status_code == 404
        assert client.get(workshop.get_absolute_url()).status_code == 404


def test_manager_edits_workshops_in_the_admin(manager, advisor, followed, make_client):
    client = make_client(manager)
    response = client.post(
        reverse("admin:ateliers_workshop_add"),
        {
            "title": "Préparer un entretien",
            "slug": "preparer-entretien",
            "summary": "",
            "objectives": "Se présenter",
            "duration_minutes": 45,
            "format": "self_paced",
            "is_published": "on",
            "position": 0,
            "created_at_0": "01/03/2015",
            "created_at_1": "10:00:00",
            "lessons-TOTAL_FORMS": 1,
            "lessons-INITIAL_FORMS": 0,
            "lessons-0-position": 1,
            "lessons-0-title": "Se présenter en 2 minutes",
            "lessons-0-kind": "reading",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    workshop = Workshop.objects.get(slug="preparer-entretien")
    assert workshop.lessons.get().title == "Se présenter en 2 minutes"
    for user in (advisor.user, followed.user):
        assert make_client(user).get(reverse("admin:ateliers_workshop_add")).status_code == 302


def test_seeker_file_block_renders_progress(quiz, followed):
    from django.template import Context, Template

    lesson, (q1, right, _wrong), (q2, a, b, _c) = quiz
    services.quiz_submit(seeker=followed, lesson=lesson, answers={q1.pk: {right.pk}})
    html = Template("{% load ateliers_tags %}{% ateliers_seeker_progress seeker %}").render(
        Context({"seeker": followed})
    )
    assert "Quiz CV : 1/2" in html
    assert reverse("ateliers:seeker_progress", args=[followed.pk]) in html


def test_template_download_needs_a_sign_in(followed, make_client, private_root):
    from django.core.files.base import ContentFile

    lesson = LessonFactory(template_name="modele.docx")
    lesson.template.save("modele.docx", ContentFile(b"PK\x03\x04 model"), save=True)
    url = reverse("ateliers:lesson_template", args=[lesson.workshop.slug, lesson.position])
    from django.test import Client

    assert Client().get(url).status_code == 302
    response = make_client(followed.user).get(url)
    assert response.status_code == 200
    assert 'filename="modele.docx"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"PK\x03\x04 model"
