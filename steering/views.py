"""The managers' pages inside the admin: figures, rebalancing and import."""

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from advisors.models import Advisor

from . import selectors, services
from .forms import ImportForm, PeriodForm, RebalanceForm


def _context(request, admin_site, title):
    return {**admin_site.each_context(request), "title": title}


def figures(request, admin_site):
    agencies = selectors.steerable_agencies(request.user)
    period = selectors.Period.default()
    form = PeriodForm(request.GET or None, initial={"start": period.start, "end": period.end})
    if request.GET and form.is_valid():
        period = selectors.Period(form.cleaned_data["start"], form.cleaned_data["end"])
    tables = selectors.all_figures(agencies, period)
    export = request.GET.get("export")
    if export:
        table = next((t for t in tables if t.key == export), None)
        if table is None:
            raise Http404
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{table.key}-{period.start}-{period.end}.csv"'
        )
        response.write("\ufeff")  # lets spreadsheet software read the UTF-8 accents
        writer = csv.writer(response)
        writer.writerow([str(column) for column in table.columns])
        writer.writerows([[str(cell) for cell in row] for row in table.rows])
        return response
    context = _context(request, admin_site, _("Figures"))
    context.update(form=form, tables=tables, period=period, query=request.GET.urlencode())
    return TemplateResponse(request, "steering/figures.html", context)


@require_http_methods(["GET", "POST"])
def rebalance(request, admin_site):
    form = RebalanceForm(request.POST or request.GET or None, user=request.user)
    plan = []
    if form.is_bound and form.is_valid():
        source = form.cleaned_data["source"]
        if request.method == "POST" and "apply" in request.POST:
            moves = _posted_moves(request.POST)
            try:
                moved = services.rebalance_apply(source=source, moves=moves, by=request.user)
            except services.RebalanceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("%(count)s seeker(s) moved to other advisors.") % {"count": moved}
                )
                return redirect("admin:steering_rebalance")
        plan = services.rebalance_plan(source=source, count=form.cleaned_data["count"])
    advisors = (
        Advisor.objects.for_user(request.user)
        .with_load()
        .select_related("user")
        .order_by("user__last_name")
    )
    context = _context(request, admin_site, _("Rebalance caseloads"))
    context.update(form=form, plan=plan, advisors=advisors)
    return TemplateResponse(request, "steering/rebalance.html", context)


def _posted_moves(post) -> list[tuple[int, int]]:
    moves = []
    for value in post.getlist("move"):
        seeker_id, _sep, advisor_id = value.partition(":")
        if not (seeker_id.isdigit() and advisor_id.isdigit()):
            raise Http404
        moves.append((int(seeker_id), int(advisor_id)))
    return moves


@require_http_methods(["GET", "POST"])
def import_seekers(request, admin_site):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read(services.MAX_IMPORT_BYTES + 1)
        report = services.seekers_import_csv(
            agency=form.cleaned_data["agency"], raw=raw, by=request.user
        )
        if report.ok:
            messages.success(
                request,
                _("%(count)s seeker(s) imported; each was invited by email to enrol.")
                % {"count": report.created},
            )
            return redirect("admin:steering_import")
    context = _context(request, admin_site, _("Import seekers"))
    context.update(form=form, report=report)
    return TemplateResponse(
        request, "steering/import.html", context, status=400 if report and not report.ok else 200
    )
