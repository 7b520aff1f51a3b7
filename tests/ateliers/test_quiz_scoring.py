"""Quiz scoring as a property: one point per question whose chosen answers are exactly its
correct ones, whatever the questions, answers and choices sent."""

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from ateliers.services import quiz_score


@dataclass
class Choice:
    pk: int
    is_correct: bool
    position: int = 0
    feedback: str = ""


@dataclass
class Choices:
    items: list = field(default_factory=list)

    def all(self):
        return self.items


@dataclass
class Question:
    pk: int
    prompt: str
    choices: Choices


@st.composite
def quizzes(draw):
    questions = []
    next_pk = 1
    for number in range(draw(st.integers(1, 6))):
        correct = draw(st.lists(st.booleans(), min_size=1, max_size=5))
        choices = [Choice(pk=next_pk + i, is_correct=c, position=i) for i, c in enumerate(correct)]
        next_pk += len(choices)
        questions.append(Question(pk=number + 1, prompt=f"Q{number}", choices=Choices(choices)))
    answers = {}
    all_pks = list(range(1, next_pk + 5))  # a few unknown ids too
    for question in questions:
        if draw(st.booleans()):
            answers[question.pk] = set(draw(st.lists(st.sampled_from(all_pks), max_size=6)))
    return questions, answers


@given(quizzes())
def test_score_counts_questions_answered_exactly(quiz):
    questions, answers = quiz
    score, results = quiz_score(questions, answers)
    expected = 0
    for question in questions:
        own = {c.pk for c in question.choices.all()}
        correct = {c.pk for c in question.choices.all() if c.is_correct}
        chosen = answers.get(question.pk, set()) & own
        expected += int(bool(chosen) and chosen == correct)
    assert score == expected == sum(r.correct for r in results)
    assert 0 <= score <= len(questions)
    for question, result in zip(questions, results, strict=True):
        own = {c.pk for c in question.choices.all()}
        assert {c.pk for c in result.chosen} <= own  # foreign ids never show
