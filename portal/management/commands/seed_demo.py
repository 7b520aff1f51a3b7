"""Creates the Lille Grand-Sud demo agency: a manager, 11 web advisors and 1,500 seekers.

Idempotent (a second run adds nothing), bulk writes, one password hash for every demo account."""

import random
import sys
import time
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from advisors.models import Advisor, Skill
from agencies.models import Agency, Region
from ateliers import demo as ateliers_demo
from chat import demo as chat_demo
from equipment import demo as equipment_demo
from interviews import demo as interviews_demo
from seekers.models import (
    AccessibilityNeed,
    AgeBand,
    AssignmentReason,
    ContactChannel,
    EnrolmentStep,
    FollowUpStatus,
    ReferentAssignment,
    Seeker,
    TimelineEvent,
    TimelineKind,
)

DEMO_PASSWORD = "portail-demo-2015"  # noqa: S105 - published demo password
MANAGER_EMAIL = "manager@demo.test"
# Advisors and managers must use a second factor: the demo staff share this published
# authenticator secret; `manage.py demo_totp_code` prints the current code.
DEMO_TOTP_SECRET = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA"  # noqa: S105 - published demo secret
ADVISOR_COUNT = 11
SIGNING_ADVISOR = 11
SIGNING_EVERY = 50  # about 2% of seekers are deaf and sign

ADVISOR_NAMES = [
    ("Vincent", "Hovart"),
    ("Sophie", "Lefebvre"),
    ("Karim", "Benali"),
    ("Isabelle", "Dupont"),
    ("Thomas", "Lemaire"),
    ("Nadia", "Haddad"),
    ("Julien", "Moreau"),
    ("Céline", "Vasseur"),
    ("Mathieu", "Delattre"),
    ("Aurélie", "Caron"),
    ("Jean-Luc", "Desmet"),
]
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Emma",
    "Julie",
    "Laura",
    "Amina",
    "Lucas",
    "Hugo",
    "Nathan",
    "Enzo",
    "Louis",
    "Mehdi",
    "Kevin",
    "Yanis",
    "Théo",
    "Maxime",
    "Martine",
    "Nathalie",
    "Sylvie",
    "Patrick",
    "Philippe",
    "Bernard",
    "Christophe",
    "Fatima",
    "Rachid",
    "Brigitte",
    "Pascal",
    "Sandrine",
    "Dominique",
    "Éric",
    "Valérie",
    "Stéphane",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Roux",
    "Lefebvre",
    "Dubois",
    "Lambert",
    "Fontaine",
    "Lemaire",
    "Dupuis",
    "Carpentier",
    "Deschamps",
    "Vandenberghe",
    "Wallet",
    "Lecomte",
    "Dumont",
    "Delannoy",
    "Bouchez",
    "Mercier",
    "Boulanger",
    "Lefort",
    "Ducrocq",
    "Benaïssa",
    "Nguyen",
    "Cordier",
    "Van Damme",
    "Poulain",
    "Declercq",
    "Masson",
    "Hennebelle",
]
AGE_BANDS = [AgeBand.UNDER_25] * 4 + [AgeBand.FROM_25_TO_49] * 4 + [AgeBand.FROM_50] * 2


class Command(BaseCommand):
    help = "Creates the demo data of the Lille Grand-Sud agency (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--seekers", type=int, default=1500, help="number of seekers")
        parser.add_argument(
            "--force", action="store_true", help="run even when DEBUG is off (never in production)"
        )

    def handle(self, *args, seekers: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password: it refuses to run when "
                "DEBUG is off. Use --force if this really is a demo or test database."
            )
        if seekers < 0 or seekers > 9999:
            raise CommandError("--seekers must be between 0 and 9999.")
        started = time.monotonic()
        self.password = make_password(DEMO_PASSWORD)
        self.rng = random.Random(2015)
        with transaction.atomic():
            agency = self._agency()
            self._manager(agency)
            advisors = self._advisors(agency)
            created = self._seekers(agency, advisors, seekers)
            # Each feature app adds its own demo data on top of the agency.
            for feature_demo in (equipment_demo, chat_demo, interviews_demo, ateliers_demo):
                feature_demo.seed(agency=agency, advisors=advisors, stdout=self.stdout)
        elapsed = time.monotonic() - started
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {elapsed:.1f} s ({created} new seekers). "
                f"Every demo account uses the password « {DEMO_PASSWORD} »:"
            )
        )
        self.stdout.write(f"  manager:  {MANAGER_EMAIL}  (admin: /admin/)")
        self.stdout.write(
            "  advisors and the manager also give a second-factor code: "
            "`python manage.py demo_totp_code` prints it (or add the secret "
            f"{DEMO_TOTP_SECRET} to an authenticator app)"
        )
        self.stdout.write(
            "  advisors: conseiller01@demo.test … conseiller11@demo.test (11 signs LSF)"
        )
        if seekers:
            self.stdout.write(
                f"  seekers:  demandeur0001@demo.test … demandeur{seekers:04d}@demo.test"
            )

    def _agency(self) -> Agency:
        region, _ = Region.objects.get_or_create(name="Hauts-de-France")
        agency, _ = Agency.objects.get_or_create(
            code="lille-grand-sud", defaults={"name": "Lille Grand-Sud", "region": region}
        )
        return agency

    def _user(self, email, first_name, last_name, role, **extra) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "role": role,
                "password": self.password,
                **extra,
            },
        )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if (
            role in (Role.ADVISOR, Role.MANAGER)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        return user

    def _manager(self, agency) -> None:
        self._user(MANAGER_EMAIL, "Richard", "Ludesque", Role.MANAGER, is_staff=True, agency=agency)

    def _advisors(self, agency) -> list[Advisor]:
        lsf = Skill.objects.get_or_create(
            code=Skill.LSF, defaults={"name": "Langue des signes française (LSF)"}
        )[0]
        advisors = []
        for number in range(1, ADVISOR_COUNT + 1):
            first, last = ADVISOR_NAMES[number - 1]
            user = self._user(f"conseiller{number:02d}@demo.test", first, last, Role.ADVISOR)
            advisor, _ = Advisor.objects.get_or_create(user=user, defaults={"agency": agency})
            if number == SIGNING_ADVISOR:
                advisor.skills.add(lsf)
            advisors.append(advisor)
        for index, advisor in enumerate(advisors):
            # A ring of backups; the signing advisor is backed by the last speaking one.
            backup = (
                advisors[(index + 1) % (ADVISOR_COUNT - 1)]
                if index < ADVISOR_COUNT - 1
                else advisors[-2]
            )
            if advisor.backup_id is None:
                advisor.backup = backup
                advisor.save(update_fields=["backup"])
        return advisors

    def _progress(self, done: int, total: int) -> None:
        if total == 0:
            return
        width = 40
        filled = int(width * done / total)
        sys.stdout.write(f"\r  seekers [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stdout.flush()

    def _seekers(self, agency, advisors, count: int) -> int:
        emails = [f"demandeur{n:04d}@demo.test" for n in range(1, count + 1)]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        speaking = advisors[: SIGNING_ADVISOR - 1]
        signing = advisors[SIGNING_ADVISOR - 1]
        now = timezone.now()
        new_users, plans = [], []
        for number, email in enumerate(emails, start=1):
            signs = number % SIGNING_EVERY == 0
            referent = (
                signing
                if signs
                else speaking[(number - 1 - number // SIGNING_EVERY) % len(speaking)]
            )
            first = self.rng.choice(FIRST_NAMES)
            last = self.rng.choice(LAST_NAMES)
            age_band = self.rng.choice(AGE_BANDS)
            enrolled_at = now - timedelta(
                days=self.rng.randint(1, 240), hours=self.rng.randint(0, 8)
            )
            need = (
                AccessibilityNeed.DEAF_SIGNING
                if signs
                else (
                    AccessibilityNeed.HARD_OF_HEARING
                    if number % 97 == 0
                    else AccessibilityNeed.NONE
                )
            )
            channel = self.rng.choice(ContactChannel.values)
            if email in existing:
                continue
            new_users.append(
                User(
                    email=email,
                    first_name=first,
                    last_name=last,
                    role=Role.SEEKER,
                    password=self.password,
                    date_joined=enrolled_at - timedelta(days=1),
                )
            )
            plans.append((email, referent, age_band, enrolled_at, need, channel))
        total = len(plans)
        self._progress(0, total)
        batch = 250
        for start in range(0, total, batch):
            chunk_users = User.objects.bulk_create(new_users[start : start + batch])
            chunk_plans = plans[start : start + batch]
            EmailAddress.objects.bulk_create(
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
                for user in chunk_users
            )
            seekers = Seeker.objects.bulk_create(
                Seeker(
                    user=user,
                    agency=agency,
                    referent=referent,
                    status=FollowUpStatus.FOLLOWED_ONLINE,
                    enrolment_step=EnrolmentStep.DONE,
                    accessibility_need=need,
                    preferred_channel=channel,
                    age_band=age_band,
                    declared_device_with_webcam=True,
                    declared_good_connection=True,
                    consent_given_at=enrolled_at - timedelta(hours=1),
                    consent_version="2015-03",
                    enrolled_at=enrolled_at,
                    created_at=enrolled_at - timedelta(days=1),
                )
                for user, (_, referent, age_band, enrolled_at, need, channel) in zip(
                    chunk_users, chunk_plans, strict=True
                )
            )
            ReferentAssignment.objects.bulk_create(
                ReferentAssignment(
                    seeker=seeker,
                    advisor=seeker.referent,
                    reason=AssignmentReason.AUTOMATIC,
                    started_at=seeker.enrolled_at,
                )
                for seeker in seekers
            )
            events = []
            for seeker in seekers:
                for kind, offset in (
                    (TimelineKind.ENROLMENT_STARTED, timedelta(hours=2)),
                    (TimelineKind.DECLARATIONS_SAVED, timedelta(hours=1)),
                    (TimelineKind.ACCESSIBILITY_SAVED, timedelta(minutes=50)),
                ):
                    events.append(
                        TimelineEvent(
                            seeker=seeker,
                            kind=kind,
                            occurred_at=seeker.enrolled_at - offset,
                            actor=seeker.user,
                        )
                    )
                events.append(
                    TimelineEvent(
                        seeker=seeker,
                        kind=TimelineKind.REFERENT_ASSIGNED,
                        occurred_at=seeker.enrolled_at,
                        advisor=seeker.referent,
                        detail={"reason": AssignmentReason.AUTOMATIC},
                    )
                )
            TimelineEvent.objects.bulk_create(events)
            self._progress(min(start + batch, total), total)
        return total
