"""Demo data of the chat app, called by `manage.py seed_demo` (idempotent, bulk writes).

The first seekers of each advisor get a conversation: some answered, some waiting within the
agency's response target, one waiting past it, some with an advisor message the seeker has not
read yet (demandeur0001 among them)."""

import uuid
from datetime import timedelta

from django.db.models import Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Role
from seekers.models import Seeker

from .models import Conversation, Message, ReadMark, ResponseWait

S, A = Role.SEEKER, Role.ADVISOR
# Each script: (minutes ago, who writes, body); then how far each side has read.
SCRIPTS = [
    # The advisor wrote last; the seeker has not read it yet.
    (
        [
            (2900, S, "Bonjour, j'ai mis mon CV à jour, pouvez-vous le relire ?"),
            (2880, A, "Bonjour ! Oui, je le regarde aujourd'hui."),
            (
                95,
                A,
                "C'est fait : ajoutez vos missions d'intérim de 2014, elles comptent. "
                "Voici un modèle : https://www.pole-emploi.fr/candidat/conseils-cv",
            ),
        ],
        {S: 2, A: 3},
    ),
    # The seeker has waited past the agency's target (240 minutes by default).
    (
        [
            (4400, A, "Bonjour, avez-vous pu vous inscrire à l'e-atelier « Réseaux sociaux » ?"),
            (4300, S, "Oui, c'est fait, merci."),
            (420, S, "J'ai un entretien chez un transporteur jeudi, pouvons-nous le préparer ?"),
            (410, S, "Je suis disponible tout l'après-midi."),
        ],
        {S: 4, A: 2},
    ),
    # Waiting, within the target.
    (
        [(35, S, "Bonjour, ma déclaration mensuelle est-elle bien arrivée ?")],
        {S: 1, A: 0},
    ),
    # Answered.
    (
        [
            (1500, S, "Quelles offres me conseillez-vous en logistique ?"),
            (1440, A, "Je vous ai sélectionné trois offres, regardez votre espace."),
            (1400, S, "Merci beaucoup !"),
            (1390, A, "Avec plaisir. Bonne journée."),
        ],
        {S: 4, A: 4},
    ),
    # Read by the advisor, not answered yet.
    (
        [(180, S, "Est-ce que je peux changer la date de notre entretien webcam ?")],
        {S: 1, A: 1},
    ),
]


def seed(*, agency, advisors, stdout) -> None:
    if Conversation.objects.filter(seeker__agency=agency).exists():
        return
    per_advisor = len(SCRIPTS)
    ranked = (
        Seeker.objects.followed()
        .filter(agency=agency, referent__in=advisors)
        .annotate(rank=Window(RowNumber(), partition_by="referent", order_by="pk"))
        .select_related("user", "referent__user")
        .order_by("referent", "pk")
    )
    chosen = [seeker for seeker in ranked if seeker.rank <= per_advisor]
    if not chosen:
        return
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        Conversation(seeker=seeker, created_at=now - timedelta(days=3)) for seeker in chosen
    )
    messages, reads, updates, waits = [], [], [], []
    for seeker, conversation in zip(chosen, conversations, strict=True):
        lines, read = SCRIPTS[(seeker.rank - 1) % len(SCRIPTS)]
        people = {S: seeker.user, A: seeker.referent.user}
        awaiting = None
        for seq, (minutes_ago, who, body) in enumerate(lines, start=1):
            sent_at = now - timedelta(minutes=minutes_ago)
            messages.append(
                Message(
                    conversation=conversation,
                    seq=seq,
                    client_id=uuid.uuid4(),
                    author=people[who],
                    author_role=who,
                    body=body,
                    sent_at=sent_at,
                )
            )
            if who == S:
                awaiting = awaiting or sent_at
            elif awaiting is not None:
                waits.append(
                    ResponseWait(
                        conversation=conversation,
                        agency_id=seeker.agency_id,
                        started_at=awaiting,
                        answered_at=sent_at,
                    )
                )
                awaiting = None
        conversation.last_seq = len(lines)
        conversation.last_message_at = now - timedelta(minutes=lines[-1][0])
        conversation.awaiting_since = awaiting
        updates.append(conversation)
        reads.extend(
            ReadMark(conversation=conversation, user=people[who], last_read_seq=seq)
            for who, seq in read.items()
        )
    Message.objects.bulk_create(messages, batch_size=500)
    ReadMark.objects.bulk_create(reads, batch_size=500)
    ResponseWait.objects.bulk_create(waits, batch_size=500)
    Conversation.objects.bulk_update(
        updates, ["last_seq", "last_message_at", "awaiting_since"], batch_size=500
    )
    stdout.write(f"  chat: {len(conversations)} conversations, {len(messages)} messages")
