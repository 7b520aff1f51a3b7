from django import forms
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor
from agencies.models import Agency


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the period must come before its end."))
        return cleaned


class RebalanceForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Advisor to relieve"), queryset=Advisor.objects.none())
    count = forms.IntegerField(label=_("Number of seekers to move"), min_value=1, max_value=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = (
            Advisor.objects.for_user(user).select_related("user").order_by("user__last_name")
        )


class ImportForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: email, first_name, last_name (required), age_band, accessibility_need, "
            "preferred_channel, phone. Separator: comma or semicolon; UTF-8."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.for_user(user)
