"""Pages of the e-ateliers. Each view parses, authorizes (scoping first, so strangers get a 404),
calls one service or selector, then renders."""

from __future__ import annotations

import json
import logging
import mimetypes
import uuid
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import close_old_connections, connection
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from seekers.models import Seeker

from . import selectors, services
from .forms import CommentForm, CvUploadForm, ExerciseForm, FeedbackForm, SimulationStartForm
from .ics import build_ics
from .models import (
    AnswerStatus,
    Lesson,
    LessonKind,
    LiveSession,
    Registration,
    RegistrationStatus,
    SimulationAnswer,
    Workshop,
)
from .permissions import (
    advisor_of,
    can_give_feedback,
    cv_submissions_for,
    followed_by_q,
    is_facilitator,
    room_is_open,
    seeker_of,
    simulations_for,
)
from .recorder import OfferError, validate_offer
from .recorder_host import RecorderBusy, TakeResult, host
from .rendering import render_markdown

logger = logging.getLogger(__name__)


def seeker_required(view):
    """Only seekers reach these pages; others get a 404 so that nothing leaks."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        seeker = seeker_of(request.user)
        if seeker is None:
            raise Http404
        return view(request, seeker, *args, **kwargs)

    return wrapper


def advisor_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        advisor = advisor_of(request.user)
        if advisor is None:
            raise Http404
        return view(request, advisor, *args, **kwargs)

    return wrapper


def private_file(relative: str, *, filename: str, content_type: str | None = None):
    """A private file as an attachment, never sniffed, never cached by shared caches."""
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if not relative or root not in path.parents or not path.is_file():
        raise Http404
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Catalogue and lessons ------------------------------------------------------------------------


@seeker_required
def catalogue(request, seeker):
    return render(
        request,
        "ateliers/catalogue.html",
        {
            "seeker": seeker,
            "workshops": selectors.catalogue(seeker),
            "progress": selectors.seeker_progress(seeker),
        },
    )


@seeker_required
def workshop(request, seeker, slug):
    workshop = get_object_or_404(Workshop.objects.published(), slug=slug)
    sessions = [s for s in selectors.sessions_for_seeker(seeker) if s.workshop_id == workshop.pk]
    return render(
        request,
        "ateliers/workshop.html",
        {
            "workshop": workshop,
            "rows": selectors.workshop_lessons(workshop, seeker),
            "sessions": sessions,
        },
    )


def _quiz_answers(request, lesson: Lesson) -> dict[int, set[int]]:
    answers = {}
    for question in lesson.questions.all():
        chosen = set()
        for value in request.POST.getlist(f"q{question.pk}"):
            if value.isdigit():
                chosen.add(int(value))
        answers[question.pk] = chosen
    return answers


@seeker_required
@require_http_methods(["GET", "POST"])
def lesson(request, seeker, slug, position):
    lesson = get_object_or_404(
        Lesson.objects.filter(workshop__is_published=True).select_related("workshop"),
        workshop__slug=slug,
        position=position,
    )
    context = {
        "lesson": lesson,
        "workshop": lesson.workshop,
        "body": render_markdown(lesson.body),
        "next": lesson.workshop.lessons.filter(position__gt=lesson.position).first(),
        "previous": lesson.workshop.lessons.filter(position__lt=lesson.position).last(),
        "completed": lesson.progress.filter(seeker=seeker).exists(),
    }
    if lesson.kind == LessonKind.QUIZ:
        context["questions"] = list(lesson.questions.prefetch_related("choices"))
    if lesson.kind == LessonKind.EXERCISE:
        existing = lesson.answers.filter(seeker=seeker).first()
        context["form"] = ExerciseForm(
            request.POST or None, initial={"body": existing.body if existing else ""}
        )
    if lesson.kind == LessonKind.CV:
        context["form"] = CvUploadForm()
        context["submissions"] = seeker.cv_submissions.all()[:10]
    if request.method == "POST":
        if lesson.kind == LessonKind.QUIZ:
            context["result"] = services.quiz_submit(
                seeker=seeker, lesson=lesson, answers=_quiz_answers(request, lesson)
            )
            context["completed"] = True
            return render(request, "ateliers/lesson.html", context)
        if lesson.kind == LessonKind.EXERCISE:
            if context["form"].is_valid():
                services.exercise_save(
                    seeker=seeker, lesson=lesson, body=context["form"].cleaned_data["body"]
                )
                messages.success(request, _("Your answer is saved."))
                return redirect(lesson.get_absolute_url())
            return render(request, "ateliers/lesson.html", context, status=400)
        if lesson.kind == LessonKind.READING:
            services.lesson_complete(seeker=seeker, lesson=lesson)
            return redirect(context["next"].get_absolute_url() if context["next"] else
                            lesson.workshop.get_absolute_url())  # fmt: skip
        raise Http404
    return render(request, "ateliers/lesson.html", context)


@login_required
@require_GET
def lesson_template(request, slug, position):
    lesson = get_object_or_404(
        Lesson.objects.for_user(request.user), workshop__slug=slug, position=position
    )
    if not lesson.template:
        raise Http404
    return private_file(
        lesson.template.name,
        filename=lesson.template_name or Path(lesson.template.name).name,
    )


# The CV exchange ------------------------------------------------------------------------------


@seeker_required
@require_POST
def cv_upload(request, seeker):
    lesson = selectors.cv_lesson(request.POST.get("workshop"))
    form = CvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "ateliers/cv_upload.html",
            {"form": form, "lesson": lesson, "submissions": seeker.cv_submissions.all()[:10]},
            status=400,
        )
    submission = services.cv_submit(
        seeker=seeker,
        upload=form.cleaned_data["file"],
        content_type=form.checked.content_type,
        extension=form.checked.extension,
        note=form.cleaned_data["note"],
        lesson=lesson,
    )
    messages.success(request, _("Your CV was sent to your advisor."))
    return redirect(submission.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def cv_detail(request, pk):
    submission = get_object_or_404(
        cv_submissions_for(request.user).select_related("seeker__user"), pk=pk
    )
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.cv_comment(
            submission=submission, author=request.user, body=form.cleaned_data["body"]
        )
        return redirect(submission.get_absolute_url())
    return render(
        request,
        "ateliers/cv_detail.html",
        {
            "submission": submission,
            "comments": submission.comments.select_related("author"),
            "form": form,
            "is_advisor": advisor_of(request.user) is not None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def cv_file(request, pk):
    submission = get_object_or_404(cv_submissions_for(request.user), pk=pk)
    return private_file(
        submission.file.name,
        filename=submission.original_name,
        content_type=submission.content_type,
    )


# The advisor's view of a seeker -------------------------------------------------------------


@advisor_required
def seeker_progress(request, advisor, seeker_pk):
    seeker = get_object_or_404(
        Seeker.objects.filter(followed_by_q(advisor)).select_related("user"), pk=seeker_pk
    )
    return render(
        request,
        "ateliers/seeker_progress.html",
        {
            "seeker": seeker,
            "progress": selectors.seeker_progress(seeker),
            "exercises": seeker.exercise_answers.select_related("lesson__workshop"),
            "simulations": selectors.simulations_of_seeker(seeker).shared(),
        },
    )


# Live sessions --------------------------------------------------------------------------------


@login_required
def sessions(request):
    seeker = seeker_of(request.user)
    advisor = advisor_of(request.user)
    if seeker is not None:
        rows = selectors.sessions_for_seeker(seeker)
    elif advisor is not None:
        rows = selectors.sessions_for_facilitator(advisor)
    else:
        raise Http404
    return render(request, "ateliers/sessions.html", {"sessions": rows, "seeker": seeker})


def _visible_session(user, pk):
    seeker = seeker_of(user)
    advisor = advisor_of(user)
    sessions = LiveSession.objects.select_related("workshop", "facilitator__user")
    if seeker is not None:
        from django.db.models import Q

        sessions = sessions.filter(
            Q(agency_id=seeker.agency_id)
            | Q(pk__in=Registration.objects.filter(seeker=seeker).values("session_id"))
        )
    elif advisor is not None:
        sessions = sessions.filter(facilitator=advisor)
    else:
        raise Http404
    return get_object_or_404(sessions.with_counts(), pk=pk)


@login_required
def session(request, pk):
    live = _visible_session(request.user, pk)
    seeker = seeker_of(request.user)
    registration = None
    if seeker is not None:
        registration = (
            Registration.objects.filter(session=live, seeker=seeker)
            .exclude(status=RegistrationStatus.CANCELLED)
            .first()
        )
    facilitating = is_facilitator(request.user, live)
    return render(
        request,
        "ateliers/session.html",
        {
            "live": live,
            "registration": registration,
            "waiting_position": selectors.waiting_position(registration) if registration else None,
            "facilitating": facilitating,
            "attendance": selectors.attendance(live) if facilitating else None,
            "room_open": room_is_open(live),
            "started": live.starts_at <= timezone.now(),
        },
    )


@seeker_required
@require_POST
def session_register(request, seeker, pk):
    live = _visible_session(request.user, pk)
    try:
        registration = services.session_register(session_id=live.pk, seeker=seeker)
    except services.AteliersError as error:
        messages.error(request, error.detail)
    else:
        if registration.status == RegistrationStatus.REGISTERED:
            messages.success(request, _("You are registered. An invitation was sent by email."))
        else:
            messages.info(request, _("The session is full: you are on the waiting list."))
    return redirect(live.get_absolute_url())


@seeker_required
@require_POST
def session_cancel(request, seeker, pk):
    live = _visible_session(request.user, pk)
    registration = get_object_or_404(
        Registration.objects.exclude(status=RegistrationStatus.CANCELLED),
        session=live,
        seeker=seeker,
    )
    services.registration_cancel(registration_id=registration.pk, seeker=seeker)
    messages.success(request, _("Your registration is cancelled."))
    return redirect(live.get_absolute_url())


@login_required
@require_GET
def session_ics(request, pk):
    live = _visible_session(request.user, pk)
    seeker = seeker_of(request.user)
    if (
        seeker is not None
        and not Registration.objects.filter(
            session=live, seeker=seeker, status=RegistrationStatus.REGISTERED
        ).exists()
    ):
        raise Http404
    response = HttpResponse(build_ics(live, attendee=request.user), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="atelier-{live.pk}.ics"'
    return response


@advisor_required
@require_POST
def attendance_correct(request, advisor, pk):
    live = get_object_or_404(LiveSession.objects.filter(facilitator=advisor), pk=pk)
    value = {"present": True, "absent": False, "auto": None}.get(request.POST.get("attended"), "")
    registration_id = request.POST.get("registration", "")
    if value == "" or not registration_id.isdigit():
        return HttpResponse(status=400)
    try:
        services.attendance_correct(
            session=live, registration_id=int(registration_id), attended=value
        )
    except services.AteliersError as error:
        messages.error(request, error.detail)
    return redirect(live.get_absolute_url())


@login_required
def room(request, pk):
    live = _visible_session(request.user, pk)
    from .permissions import can_join_room

    if not can_join_room(request.user, live.pk):
        raise Http404
    return render(
        request,
        "ateliers/room.html",
        {"live": live, "facilitating": is_facilitator(request.user, live)},
    )


# Interview simulations ------------------------------------------------------------------------


@seeker_required
@require_http_methods(["GET", "POST"])
def simulations(request, seeker):
    form = SimulationStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            simulation = services.simulation_start(
                seeker=seeker, job_family=form.cleaned_data["job_family"]
            )
        except services.AteliersError as error:
            messages.error(request, error.detail)
        else:
            return redirect("ateliers:simulation_question", simulation.pk, 1)
    return render(
        request,
        "ateliers/simulations.html",
        {
            "form": form,
            "simulations": selectors.simulations_of_seeker(seeker),
            "seeker": seeker,
        },
    )


@login_required
def simulation(request, pk):
    simulation = get_object_or_404(
        simulations_for(request.user).select_related("seeker__user"), pk=pk
    )
    owner = seeker_of(request.user) is not None
    return render(
        request,
        "ateliers/simulation.html",
        {
            "simulation": simulation,
            "answers": selectors.simulation_answers(simulation),
            "owner": owner,
            "can_feedback": can_give_feedback(request.user, simulation),
            "feedback_form": FeedbackForm(),
        },
    )


@seeker_required
def simulation_question(request, seeker, pk, position):
    simulation = get_object_or_404(seeker.simulations, pk=pk)
    answer = get_object_or_404(simulation.answers, position=position)
    return render(
        request,
        "ateliers/simulation_question.html",
        {
            "simulation": simulation,
            "answer": answer,
            "count": simulation.answers.count(),
            "next": simulation.answers.filter(position__gt=position).first(),
            "ice_servers": json.dumps([{"urls": url} for url in settings.ATELIERS_ICE_SERVERS]),
        },
    )


def _json_body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"type": "error", "code": code, "detail": str(detail)}, status=status)


def _save_take(answer_id: int, token: uuid.UUID, relative: str):
    """Runs in the recorder's worker thread once the take's peer is closed."""

    def on_done(result: TakeResult) -> None:
        # A take cut by a lost connection (tab closed, network gone) is not kept: it would
        # replace a complete earlier answer with a fragment.
        interrupted = result.outcome is not None and result.outcome.reason == "disconnected"
        close_old_connections()
        try:
            services.answer_take_finish(
                answer_id=answer_id,
                token=token,
                relative=relative,
                duration=result.duration,
                ok=result.ok and not interrupted,
            )
        finally:
            connection.close()

    return on_done


@seeker_required
@require_POST
def take_offer(request, seeker, pk, position):
    """HTTP signalling of a take: the browser posts its offer (ICE gathered), gets the answer."""
    answer = get_object_or_404(
        SimulationAnswer.objects.filter(simulation__seeker=seeker), simulation_id=pk,
        position=position,
    )  # fmt: skip
    if len(request.body) > 65536:
        return _error("sdp_too_large", _("This offer is too large."), 413)
    try:
        offer = validate_offer(_json_body(request).get("sdp"))
    except OfferError as error:
        return _error(str(error), _("The browser's offer was refused."), 400)
    try:
        token, relative = services.answer_take_begin(answer_id=answer.pk)
    except services.AteliersError as error:
        return _error(error.code, error.detail, 409)
    path = Path(settings.PRIVATE_MEDIA_ROOT) / relative
    try:
        sdp = host.start(
            key=str(token),
            offer_sdp=offer,
            path=path,
            max_seconds=answer.answer_seconds,
            on_done=_save_take(answer.pk, token, relative),
            limit=settings.ATELIERS_MAX_RECORDINGS,
            ice_server_urls=settings.ATELIERS_ICE_SERVERS,
        )
    except (RecorderBusy, OfferError, TimeoutError) as error:
        services.answer_take_finish(
            answer_id=answer.pk, token=token, relative=relative, duration=None, ok=False
        )
        if isinstance(error, RecorderBusy):
            return _error("busy", _("Too many recordings right now: try again in a minute."), 503)
        return _error("offer_failed", _("The recording could not start."), 400)
    return JsonResponse(
        {"type": "answer", "sdp": sdp, "token": str(token), "max_seconds": answer.answer_seconds}
    )


@seeker_required
@require_POST
def take_stop(request, seeker, pk, position):
    answer = get_object_or_404(
        SimulationAnswer.objects.filter(simulation__seeker=seeker), simulation_id=pk,
        position=position,
    )  # fmt: skip
    try:
        token = uuid.UUID(str(_json_body(request).get("token")))
    except ValueError:
        return _error("bad_token", _("Unknown recording."), 400)
    try:
        host.stop(str(token))
    except TimeoutError:
        return _error("timeout", _("The recording is still being saved."), 504)
    answer.refresh_from_db()
    if answer.take_token == token:
        # The take runs in another server process (or is still being saved): it ends by itself
        # at the answer time; the page asks again.
        return JsonResponse({"type": "take", "status": "recording"}, status=202)
    payload = {"type": "take", "status": answer.status, "duration": answer.duration_seconds}
    if answer.status == AnswerStatus.READY:
        payload["media_url"] = reverse("ateliers:answer_media", args=[pk, position])
    return JsonResponse(payload)


@login_required
@require_GET
def answer_media(request, pk, position):
    simulation = get_object_or_404(simulations_for(request.user), pk=pk)
    answer = get_object_or_404(
        simulation.answers.filter(status=AnswerStatus.READY), position=position
    )
    return private_file(
        answer.recording,
        filename=f"simulation-{simulation.pk}-{position}.webm",
        content_type="video/webm",
    )


@seeker_required
@require_POST
def simulation_share(request, seeker, pk):
    simulation = get_object_or_404(seeker.simulations, pk=pk)
    try:
        services.simulation_share(simulation=simulation, shared=request.POST.get("share") == "1")
    except services.AteliersError as error:
        messages.error(request, error.detail)
    return redirect(simulation.get_absolute_url())


@seeker_required
@require_http_methods(["GET", "POST"])
def simulation_delete(request, seeker, pk):
    simulation = get_object_or_404(seeker.simulations, pk=pk)
    if request.method == "POST":
        services.simulation_delete(simulation=simulation)
        messages.success(request, _("The simulation and its recordings are deleted."))
        return redirect("ateliers:simulations")
    return render(request, "ateliers/simulation_delete.html", {"simulation": simulation})


@advisor_required
@require_POST
def feedback_add(request, advisor, pk, position):
    simulation = get_object_or_404(simulations_for(request.user), pk=pk)
    answer = get_object_or_404(simulation.answers, position=position)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_add(answer=answer, author=request.user, **form.cleaned_data)
        except services.AteliersError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("Your feedback is saved."))
    else:
        messages.error(request, _("Check the feedback form."))
    return redirect(f"{simulation.get_absolute_url()}#answer-{position}")
