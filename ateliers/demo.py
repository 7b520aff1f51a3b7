"""Demo data of the ateliers app, called by `manage.py seed_demo` (idempotent and fast).

The three workshops of the issue with their lessons, quizzes, exercises and a downloadable CV
template; question banks for every job family; live sessions past and coming, with
registrations, a waiting list, attendance and a room conversation; and some progress of the
first demo seekers (lessons, quiz results, a CV with the advisor's comment, a shared simulation
with two short recordings and time-stamped feedback). Each part is skipped when already there.
"""

from __future__ import annotations

import fractions
import io
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from seekers.models import FollowUpStatus, Seeker

from .models import (
    AnswerStatus,
    CvComment,
    CvSubmission,
    ExerciseAnswer,
    Feedback,
    InterviewQuestion,
    JobFamily,
    Lesson,
    LessonKind,
    LessonProgress,
    LiveSession,
    QuestionBank,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Registration,
    RegistrationStatus,
    RoomMessage,
    Simulation,
    SimulationAnswer,
    Workshop,
    WorkshopFormat,
)

# (prompt, [(answer, correct, feedback), ...])
CV_QUIZ = [
    (
        "Quelle longueur viser pour un CV quand on a moins de dix ans d'expérience ?",
        [
            ("Une page", True, "Oui : un recruteur lit un CV en moins d'une minute."),
            ("Trois pages", False, "Trop long : gardez l'essentiel, le détail vient en entretien."),
        ],
    ),
    (
        "Que faut-il mettre en haut du CV ?",
        [
            ("Un titre qui dit le poste visé", True, "Oui, le titre oriente toute la lecture."),
            ("Ses coordonnées", True, "Oui : nom, téléphone, e-mail, ville."),
            ("Son numéro de sécurité sociale", False, "Non, cette donnée n'a rien à y faire."),
        ],
    ),
    (
        "Comment présenter ses expériences ?",
        [
            ("De la plus récente à la plus ancienne", True, "Oui, c'est l'ordre attendu."),
            ("Par ordre alphabétique", False, "Non : le recruteur cherche d'abord le récent."),
        ],
    ),
]
NETWORK_QUIZ = [
    (
        "Un recruteur tape votre nom dans un moteur de recherche. Que doit-il trouver ?",
        [
            ("Un profil professionnel à jour", True, "Oui : soignez votre identité numérique."),
            (
                "Vos photos de vacances publiques",
                False,
                "Réglez la confidentialité de ces comptes.",
            ),
        ],
    ),
    (
        "Quelle photo choisir pour un profil professionnel ?",
        [
            ("Un portrait net, de face, sur fond neutre", True, "Oui, simple et souriant."),
            ("Une photo de groupe recadrée", False, "Elle est souvent floue et peu lisible."),
        ],
    ),
]
INTERVIEW_QUIZ = [
    (
        "« Quel est votre principal défaut ? » Que répondre ?",
        [
            (
                "Un vrai défaut, avec ce que vous faites pour le corriger",
                True,
                "Oui : l'honnêteté et le recul convainquent.",
            ),
            ("« Je suis trop perfectionniste »", False, "Réponse attendue, donc peu crédible."),
        ],
    ),
    (
        "À la fin de l'entretien, on vous demande si vous avez des questions.",
        [
            ("J'en pose une ou deux sur le poste", True, "Oui, cela montre votre intérêt."),
            ("Je réponds que non, tout est clair", False, "Préparez toujours une question."),
        ],
    ),
]

WORKSHOPS = [
    {
        "slug": "realiser-son-cv",
        "title": "Réaliser son CV",
        "summary": "Construire un CV clair qui donne envie de vous rencontrer, puis le faire "
        "relire par votre conseiller.",
        "objectives": "Connaître les rubriques attendues d'un CV\n"
        "Mettre en valeur ses expériences et ses compétences\n"
        "Adapter son CV à une offre\nObtenir l'avis de son conseiller",
        "duration_minutes": 120,
        "format": WorkshopFormat.BLENDED,
        "has_simulation": False,
        "lessons": [
            (
                LessonKind.READING,
                "Les rubriques d'un CV",
                "## L'essentiel\n\nUn CV se lit **en moins d'une minute**. Il comporte :\n\n"
                "1. vos coordonnées et un titre (le poste visé) ;\n"
                "2. vos expériences, de la plus récente à la plus ancienne ;\n"
                "3. vos formations ;\n4. vos compétences et centres d'intérêt.\n\n"
                "Pour aller plus loin : [les conseils de l'Onisep]"
                "(https://www.onisep.fr/) et le site de Pôle emploi.",
                None,
            ),
            (
                LessonKind.READING,
                "Mettre en valeur ses expériences",
                "Pour chaque expérience, indiquez le **poste**, l'**entreprise**, les **dates** "
                "et deux ou trois réalisations concrètes, avec des verbes d'action : "
                "*accueillir*, *organiser*, *vendre*.\n\nTéléchargez le modèle ci-dessous et "
                "complétez-le.",
                "cv",
            ),
            (LessonKind.QUIZ, "Quiz : les bases du CV", "Vérifiez vos connaissances.", None),
            (
                LessonKind.EXERCISE,
                "Rédigez votre accroche",
                "En deux ou trois phrases, dites qui vous êtes et ce que vous cherchez. "
                "Votre conseiller lira votre réponse.",
                None,
            ),
            (
                LessonKind.CV,
                "Envoyez votre CV à votre conseiller",
                "Envoyez votre CV (PDF, Word ou OpenDocument). Votre conseiller vous répondra "
                "avec ses commentaires.",
                None,
            ),
        ],
        "quiz": CV_QUIZ,
    },
    {
        "slug": "reseaux-sociaux-recherche-emploi",
        "title": "Utiliser les réseaux sociaux pour sa recherche d'emploi",
        "summary": "Soigner son identité numérique et utiliser les réseaux professionnels pour "
        "trouver des offres et des contacts.",
        "objectives": "Maîtriser son identité numérique\nCréer un profil professionnel\n"
        "Contacter des recruteurs et suivre des entreprises",
        "duration_minutes": 90,
        "format": WorkshopFormat.SELF_PACED,
        "has_simulation": False,
        "lessons": [
            (
                LessonKind.READING,
                "Votre identité numérique",
                "Tapez votre nom dans un moteur de recherche : c'est ce que fera un recruteur.\n\n"
                "- Rendez privés vos comptes personnels ;\n"
                "- créez un profil professionnel sur [LinkedIn](https://www.linkedin.com/) ou "
                "[Viadeo](https://www.viadeo.com/) ;\n- gardez le même titre que sur votre CV.",
                None,
            ),
            (
                LessonKind.READING,
                "Réseauter : contacter les recruteurs",
                "Suivez les pages des entreprises qui vous intéressent, réagissez à leurs "
                "publications et envoyez des demandes de contact **personnalisées**.",
                None,
            ),
            (LessonKind.QUIZ, "Quiz : identité numérique", "Vérifiez vos connaissances.", None),
            (
                LessonKind.EXERCISE,
                "Rédigez le titre de votre profil",
                "Proposez le titre de votre profil professionnel (une ligne).",
                None,
            ),
        ],
        "quiz": NETWORK_QUIZ,
    },
    {
        "slug": "reussir-son-entretien",
        "title": "Réussir son entretien d'embauche",
        "summary": "Préparer ses réponses, travailler sa posture et s'entraîner devant sa webcam "
        "avec des simulations que votre conseiller peut commenter.",
        "objectives": "Préparer les questions fréquentes\nSoigner sa posture et sa façon de "
        "parler\nS'entraîner avec des simulations d'entretien enregistrées",
        "duration_minutes": 150,
        "format": WorkshopFormat.BLENDED,
        "has_simulation": True,
        "lessons": [
            (
                LessonKind.READING,
                "Avant l'entretien : se préparer",
                "Renseignez-vous sur l'entreprise, relisez l'offre et votre CV, préparez "
                "**trois exemples** de situations où vous avez réussi.",
                None,
            ),
            (
                LessonKind.READING,
                "Posture et savoir-être",
                "Regardez votre interlocuteur (ou la caméra), tenez-vous droit, parlez "
                "posément. Employez le vocabulaire du métier et évitez le langage familier.",
                None,
            ),
            (LessonKind.QUIZ, "Quiz : les questions pièges", "Vérifiez vos réflexes.", None),
            (
                LessonKind.READING,
                "S'entraîner avec les simulations",
                "Choisissez votre famille de métiers : chaque question s'affiche, vous avez un "
                "temps de préparation, puis votre réponse est enregistrée. Revoyez-la, "
                "refaites-la, et partagez-la avec votre conseiller si vous le souhaitez.",
                None,
            ),
        ],
        "quiz": INTERVIEW_QUIZ,
    },
]

BANKS = {
    JobFamily.GENERAL: [
        ("Présentez-vous en deux minutes.", "Parcours, compétences, projet : dans cet ordre."),
        ("Pourquoi ce poste vous intéresse-t-il ?", "Reliez l'offre à votre expérience."),
        ("Quelles sont vos principales qualités ?", "Illustrez chacune par un exemple."),
        ("Où vous voyez-vous dans cinq ans ?", "Montrez un projet réaliste et motivé."),
        ("Avez-vous des questions ?", "Préparez-en une ou deux sur le poste."),
    ],
    JobFamily.RETAIL: [
        ("Comment accueillez-vous un client pressé ?", ""),
        ("Un client mécontent revient avec un produit : que faites-vous ?", ""),
        ("Comment conseilleriez-vous un client qui hésite entre deux articles ?", ""),
        ("Comment organisez-vous la mise en rayon en période d'affluence ?", ""),
    ],
    JobFamily.HOSPITALITY: [
        ("Comment gérez-vous un coup de feu en salle ?", ""),
        ("Un client signale une allergie : comment réagissez-vous ?", ""),
        ("Quelles règles d'hygiène appliquez-vous en cuisine ?", ""),
        ("Êtes-vous disponible le soir et le week-end ?", ""),
    ],
    JobFamily.TRANSPORT_LOGISTICS: [
        ("Comment préparez-vous une commande avec un lecteur de codes-barres ?", ""),
        ("Quelles règles de sécurité respectez-vous en entrepôt ?", ""),
        ("Une livraison est en retard : que faites-vous ?", ""),
        ("Avez-vous vos CACES ? Lesquels ?", ""),
    ],
    JobFamily.ECOMMERCE_SERVICES: [
        ("Comment répondez-vous à un client par e-mail au sujet d'un colis perdu ?", ""),
        ("Quels outils numériques utilisez-vous au quotidien ?", ""),
        ("Comment priorisez-vous les demandes d'une journée chargée ?", ""),
        ("Racontez une situation où vous avez fidélisé un client.", ""),
    ],
}
BANK_TITLES = {
    JobFamily.GENERAL: "Questions générales : motivation et savoir-être",
    JobFamily.RETAIL: "Commerce",
    JobFamily.HOSPITALITY: "Hôtellerie et restauration",
    JobFamily.TRANSPORT_LOGISTICS: "Transport et logistique",
    JobFamily.ECOMMERCE_SERVICES: "E-commerce et services",
}

ROOM_MESSAGES = [
    ("facilitator", "Bonjour à toutes et à tous, bienvenue dans l'atelier !"),
    ("seeker", "Bonjour, est-ce qu'on peut poser des questions sur le CV ?"),
    ("facilitator", "Bien sûr : posez-les ici, je réponds au fur et à mesure."),
    ("seeker", "Faut-il mettre une photo sur son CV ?"),
    ("facilitator", "Ce n'est pas obligatoire ; si vous en mettez une, choisissez-la sobre."),
]


def template_docx() -> bytes:
    """A minimal Word document: the CV template offered for download."""
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{line}</w:t></w:r></w:p>'
        for line in [
            "Prénom NOM",
            "Titre : le poste que vous visez",
            "Téléphone — e-mail — ville",
            "EXPÉRIENCES (de la plus récente à la plus ancienne)",
            "Poste — Entreprise — dates : deux ou trois réalisations",
            "FORMATIONS",
            "COMPÉTENCES",
            "CENTRES D'INTÉRÊT",
        ]
    )
    word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{package}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}/'
            f'relationships"><Relationship Id="rId1" Type="{office}" '
            'Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{word}">'
            f"<w:body>{body}</w:body></w:document>",
        )
    return buffer.getvalue()


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_video(path: Path, seconds: float = 3.0) -> float:
    """A short synthetic WebM (moving gradient), standing for a recorded answer."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    fps = 10
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.codec_context.options = {"deadline": "realtime", "cpu-used": "8"}
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame(320, 240, "yuv420p")
            luma = bytes((x + index * 12) % 256 for x in range(320))
            line = frame.planes[0].line_size
            frame.planes[0].update((luma + bytes(line - 320)) * 240)
            for plane in frame.planes[1:]:
                plane.update(bytes([128]) * plane.buffer_size)
            frame.pts, frame.time_base = index, fractions.Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return seconds


def _content(stdout) -> list[Workshop]:
    workshops = []
    for position, spec in enumerate(WORKSHOPS, start=1):
        workshop = Workshop.objects.filter(slug=spec["slug"]).first()
        if workshop is not None:
            workshops.append(workshop)
            continue
        workshop = Workshop.objects.create(
            slug=spec["slug"],
            title=spec["title"],
            summary=spec["summary"],
            objectives=spec["objectives"],
            duration_minutes=spec["duration_minutes"],
            format=spec["format"],
            has_simulation=spec["has_simulation"],
            position=position,
        )
        for number, (kind, title, body, template) in enumerate(spec["lessons"], start=1):
            lesson = Lesson(workshop=workshop, position=number, title=title, kind=kind, body=body)
            if template:
                lesson.template = ContentFile(template_docx(), name="modele-cv.docx")
                lesson.template_name = "modele-cv.docx"
            lesson.save()
            if kind == LessonKind.QUIZ:
                for q_number, (prompt, choices) in enumerate(spec["quiz"], start=1):
                    question = QuizQuestion.objects.create(
                        lesson=lesson, position=q_number, prompt=prompt
                    )
                    QuizChoice.objects.bulk_create(
                        QuizChoice(
                            question=question,
                            position=c_number,
                            text=text,
                            is_correct=correct,
                            feedback=feedback,
                        )
                        for c_number, (text, correct, feedback) in enumerate(choices)
                    )
        workshops.append(workshop)
    stdout.write(f"E-ateliers: {len(workshops)} workshops")
    return workshops


def _banks() -> None:
    for family, questions in BANKS.items():
        bank, created = QuestionBank.objects.get_or_create(
            job_family=family, defaults={"title": BANK_TITLES[family]}
        )
        if not created:
            continue
        InterviewQuestion.objects.bulk_create(
            InterviewQuestion(
                bank=bank,
                position=number,
                text=text,
                advice=advice,
                prep_seconds=30,
                answer_seconds=90,
            )
            for number, (text, advice) in enumerate(questions, start=1)
        )


def _sessions(agency, advisors, workshops, seekers, now) -> None:
    if LiveSession.objects.filter(agency=agency).exists() or not advisors:
        return
    capacity = 8
    # (workshop index, days from now, hour, registered, waiting)
    plan = [
        (0, -14, 10, 7, 0),
        (2, -7, 14, 8, 2),
        (1, 0, None, 6, 0),  # its room is open now
        (0, 3, 10, 8, 3),  # full, with a waiting list
        (2, 5, 14, 4, 0),
        (1, 10, 10, 0, 0),
    ]
    cursor = 0
    for index, (w_index, days, hour, registered, waiting) in enumerate(plan):
        if hour is None:
            starts_at = now - timedelta(minutes=10)
        else:
            local = timezone.localtime(now + timedelta(days=days))
            starts_at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        session = LiveSession.objects.create(
            workshop=workshops[w_index],
            agency=agency,
            facilitator=advisors[index % len(advisors)],
            starts_at=starts_at,
            duration_minutes=90,
            capacity=capacity,
        )
        people = seekers[cursor : cursor + registered + waiting]
        cursor = (cursor + registered + waiting) % max(len(seekers) - 12, 1)
        past = starts_at < now
        rows = []
        for number, seeker in enumerate(people):
            is_waiting = number >= registered
            rows.append(
                Registration(
                    session=session,
                    seeker=seeker,
                    status=RegistrationStatus.WAITING
                    if is_waiting
                    else RegistrationStatus.REGISTERED,
                    created_at=starts_at - timedelta(days=6, minutes=-number),
                    joined_at=(starts_at + timedelta(minutes=2))
                    if past and not is_waiting and number % 5 != 4
                    else None,
                    attended_override=True if past and number == 9 else None,
                )
            )
        Registration.objects.bulk_create(rows)
        if past and people:
            messages = []
            for seq, (who, body) in enumerate(ROOM_MESSAGES, start=1):
                author = (
                    session.facilitator.user
                    if who == "facilitator"
                    else people[seq % len(people)].user
                )
                messages.append(
                    RoomMessage(
                        session=session,
                        seq=seq,
                        client_id=uuid.uuid4(),
                        author=author,
                        author_role=author.role,
                        body=body,
                        sent_at=starts_at + timedelta(minutes=3 + seq),
                    )
                )
            RoomMessage.objects.bulk_create(messages)
            session.last_seq = len(messages)
            session.pinned_message = RoomMessage.objects.get(session=session, seq=3)
            session.save(update_fields=["last_seq", "pinned_message"])


def _progress(workshops, seekers, now) -> None:
    sample = seekers[:12]
    if not sample or LessonProgress.objects.filter(seeker__in=sample).exists():
        return
    lessons = {w.slug: list(w.lessons.order_by("position")) for w in workshops}
    rows, attempts, exercises = [], [], []
    for number, seeker in enumerate(sample):
        for slug, count in (
            ("realiser-son-cv", 5 - number % 4),
            ("reseaux-sociaux-recherche-emploi", number % 3),
            ("reussir-son-entretien", number % 5),
        ):
            for lesson in lessons[slug][:count]:
                done = now - timedelta(days=10 - number % 7, hours=lesson.position)
                rows.append(LessonProgress(seeker=seeker, lesson=lesson, completed_at=done))
                if lesson.kind == LessonKind.QUIZ:
                    total = lesson.questions.count()
                    attempts.append(
                        QuizAttempt(
                            seeker=seeker,
                            lesson=lesson,
                            score=max(total - number % 3, 0),
                            max_score=total,
                            submitted_at=done,
                        )
                    )
                if lesson.kind == LessonKind.EXERCISE:
                    exercises.append(
                        ExerciseAnswer(
                            seeker=seeker,
                            lesson=lesson,
                            body="Vendeuse depuis six ans en prêt-à-porter, je cherche un poste "
                            "de responsable adjointe dans la métropole lilloise.",
                            updated_at=done,
                        )
                    )
    LessonProgress.objects.bulk_create(rows)
    QuizAttempt.objects.bulk_create(attempts)
    ExerciseAnswer.objects.bulk_create(exercises)

    cv_lesson = lessons["realiser-son-cv"][-1]
    first = sample[0]
    submission = CvSubmission(
        seeker=first,
        lesson=cv_lesson,
        original_name="CV-Camille.pdf",
        content_type="application/pdf",
        size=len(DEMO_PDF),
        note="Voici mon CV, merci pour votre relecture !",
        uploaded_at=now - timedelta(days=3),
    )
    submission.file.save("cv.pdf", ContentFile(DEMO_PDF), save=False)
    submission.save()
    if first.referent is not None:
        CvComment.objects.create(
            submission=submission,
            author=first.referent.user,
            author_role=first.referent.user.role,
            body="Bonne base ! Ajoutez un titre qui dit le poste visé, et mettez vos "
            "expériences en vente avant vos formations.",
            created_at=now - timedelta(days=2),
        )

    simulation = Simulation.objects.create(
        seeker=first,
        job_family=JobFamily.RETAIL,
        created_at=now - timedelta(days=1),
        shared_at=now - timedelta(hours=20) if first.referent else None,
    )
    questions = list(
        InterviewQuestion.objects.filter(
            bank__job_family__in=[JobFamily.GENERAL, JobFamily.RETAIL]
        ).order_by("bank__job_family", "position")[:2]
    )
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    for position, question in enumerate(questions, start=1):
        relative = f"ateliers/simulations/{simulation.pk}/{position}-demo.webm"
        duration = demo_video(root / relative)
        answer = SimulationAnswer.objects.create(
            simulation=simulation,
            position=position,
            question=question,
            question_text=question.text,
            advice=question.advice,
            prep_seconds=question.prep_seconds,
            answer_seconds=question.answer_seconds,
            status=AnswerStatus.READY,
            recording=relative,
            duration_seconds=duration,
            recorded_at=simulation.created_at,
            takes=1,
        )
        if first.referent is not None and position == 1:
            Feedback.objects.create(
                answer=answer,
                author=first.referent.user,
                at_seconds=1.0,
                criterion="posture",
                rating=3,
                comment="Bonne posture, regardez un peu plus la caméra.",
            )
            Feedback.objects.create(
                answer=answer,
                author=first.referent.user,
                at_seconds=2.0,
                criterion="clarity",
                rating=2,
                comment="Parlez plus lentement sur la présentation de votre parcours.",
            )


def seed(*, agency, advisors, stdout) -> None:
    now = timezone.now()
    with transaction.atomic():
        workshops = _content(stdout)
        _banks()
        seekers = list(
            Seeker.objects.filter(
                agency=agency,
                status=FollowUpStatus.FOLLOWED_ONLINE,
                user__email__startswith="demandeur",
            )
            .select_related("user", "referent__user")
            .order_by("user__email")[:60]
        )
        _sessions(agency, list(advisors), workshops, seekers, now)
        _progress(workshops, seekers, now)
    stdout.write(
        "E-ateliers: question banks for 5 job families, live sessions with waiting lists, "
        "progress of demandeur0001… (a CV with a comment, a shared simulation)"
    )
