"""Forms of the interviews app: they validate input; services write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ExceptionReason, Status, Weekday

DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class WeeklyAvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=TIME)
    end_time = forms.TimeField(label=_("Until"), widget=TIME)

    def clean(self):
        data = super().clean()
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["start_time"] >= data["end_time"]
        ):
            raise forms.ValidationError(_("The range must end after it starts."))
        return data


class ExceptionForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=DATETIME_LOCAL)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DATETIME_LOCAL)
    reason = forms.ChoiceField(label=_("Reason"), choices=ExceptionReason.choices)
    label = forms.CharField(label=_("Label (optional)"), required=False, max_length=120)

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["starts_at"] >= data["ends_at"]:
            raise forms.ValidationError(_("The period must end after it starts."))
        return data


class SlotForm(forms.Form):
    """A slot picked from the list: its start, as an ISO 8601 instant."""

    slot = forms.DateTimeField(label=_("Slot"), input_formats=["%Y-%m-%dT%H:%M:%S%z"])

    def clean_slot(self):
        value = self.cleaned_data["slot"]
        if timezone.is_naive(value):
            raise forms.ValidationError(_("Pick a slot from the list."))
        return value


class ProposeForm(forms.Form):
    seeker = forms.ModelChoiceField(label=_("Job seeker"), queryset=None)
    starts_at = forms.DateTimeField(label=_("Date and time (Paris)"), widget=DATETIME_LOCAL)

    def __init__(self, *args, seekers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seeker"].queryset = seekers


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("New date and time (Paris)"), widget=DATETIME_LOCAL)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Private notes (never shown to the seeker)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Status.HELD, Status.HELD.label),
            (Status.TECHNICAL_FAILURE, Status.TECHNICAL_FAILURE.label),
            (Status.SEEKER_ABSENT, Status.SEEKER_ABSENT.label),
        ],
    )
