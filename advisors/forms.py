from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms import PortalForm


class AbsenceForm(PortalForm):
    until = forms.DateField(
        label=_("Absent until (included, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until and until < timezone.localdate():
            raise forms.ValidationError(_("The end of the absence cannot be in the past."))
        return until
