from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm

from .models import ActionStatus, Contract, Sector


class GoalForm(PortalForm):
    title = forms.CharField(label=_("New goal"), max_length=200)


class ActionForm(PortalForm):
    title = forms.CharField(label=_("Action"), max_length=200)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)


class NoteForm(PortalForm):
    body = forms.CharField(
        label=_("Private note (never shown to the seeker)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("The note is empty."))
        return body


class OfferForm(PortalForm):
    title = forms.CharField(label=_("Job title"), max_length=200)
    employer = forms.CharField(label=_("Employer"), max_length=200)
    contract = forms.ChoiceField(label=_("Contract"), choices=Contract.choices)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    url = forms.URLField(
        label=_("Link to the offer (optional)"), required=False, assume_scheme="https"
    )
    comment = forms.CharField(
        label=_("Your comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
