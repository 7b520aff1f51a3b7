"""The embedded SQLite default of `make run`: the chat stores messages without PostgreSQL's
one-statement write (numbering, retries, read marks, the recorded wait) and the managers'
first-response figure reads the waits."""

import textwrap

from tests.embedded import AGENCY_WITH_ADVISOR, run_embedded

SCRIPT = AGENCY_WITH_ADVISOR + textwrap.dedent(
    """
    from chat import services
    from chat.models import ReadMark, ResponseWait
    from steering import selectors
    seeker = Seeker.objects.create(
        user=User.objects.create_user("s@x.test"),
        agency=agency,
        referent=advisor,
        status=FollowUpStatus.FOLLOWED_ONLINE,
    )
    conversation = services.conversation_for_seeker(seeker=seeker)

    def send(user, client_id=None):
        return services.message_send(
            conversation_id=conversation.pk,
            author=user,
            client_id=client_id or uuid.uuid4(),
            body="Bonjour",
        )

    retried = uuid.uuid4()
    first, _ = send(seeker.user, retried)
    again, created = send(seeker.user, retried)
    print("retry", again.pk == first.pk, created)
    send(seeker.user)
    answer, _ = send(advisor.user)
    send(advisor.user)
    print("seqs", answer.seq)
    print("read", ReadMark.objects.get(user=advisor.user).last_read_seq)
    wait = ResponseWait.objects.get()
    print("wait", wait.started_at == first.sent_at, wait.answered_at == answer.sent_at)
    figure = selectors.chat_first_response(
        Agency.objects.all(), selectors.Period.default()
    )
    print("answered", figure.rows[2][1])
    """
)


def test_the_chat_stores_and_figures_on_sqlite(tmp_path):
    stdout = run_embedded(SCRIPT, tmp_path)
    assert stdout.split("\n")[:5] == [
        "retry True False",
        "seqs 3",
        "read 4",
        "wait True True",
        "answered 1",
    ]
