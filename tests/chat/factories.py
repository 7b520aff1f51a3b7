import uuid

import factory
from django.utils import timezone

from accounts.models import Role
from chat.models import Conversation, Message, ResponseWait
from tests.advisors.factories import AdvisorFactory
from tests.seekers.factories import SeekerFactory


class ConversationFactory(factory.django.DjangoModelFactory):
    """A followed seeker's conversation; messages made by MessageFactory keep last_seq right."""

    class Meta:
        model = Conversation

    seeker = factory.SubFactory(
        SeekerFactory,
        followed=True,
        referent=factory.SubFactory(AdvisorFactory),
    )


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    body = factory.Faker("sentence", locale="fr_FR")
    sent_at = factory.LazyFunction(timezone.now)

    class Params:
        from_advisor = factory.Trait(
            author=factory.LazyAttribute(lambda o: o.conversation.seeker.referent.user)
        )

    author = factory.LazyAttribute(lambda o: o.conversation.seeker.user)
    author_role = factory.LazyAttribute(lambda o: o.author.role)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        conversation = kwargs["conversation"]
        conversation.refresh_from_db(fields=["last_seq"])
        kwargs.setdefault("seq", conversation.last_seq + 1)
        message = super()._create(model_class, *args, **kwargs)
        fields = {"last_seq": message.seq, "last_message_at": message.sent_at}
        if message.author_role == Role.SEEKER:
            if conversation.awaiting_since is None:
                fields["awaiting_since"] = message.sent_at
        else:
            if conversation.awaiting_since is not None and message.author_role == Role.ADVISOR:
                # What the chat's store statement records when an advisor's message ends a wait.
                ResponseWait.objects.create(
                    conversation=conversation,
                    agency_id=conversation.seeker.agency_id,
                    started_at=conversation.awaiting_since,
                    answered_at=message.sent_at,
                )
            fields["awaiting_since"] = None
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
        for name, value in fields.items():
            setattr(conversation, name, value)
        return message
