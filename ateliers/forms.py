"""Forms of the e-ateliers: they validate; services write."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Criterion, JobFamily
from .uploads import UploadRefused, check_cv


class ExerciseForm(forms.Form):
    body = forms.CharField(
        label=_("My answer"), widget=forms.Textarea(attrs={"rows": 8}), max_length=10000
    )


class CvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("My CV (PDF, DOCX or ODT, 10 MB at most)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.odt"}),
    )
    note = forms.CharField(
        label=_("A word for my advisor (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.checked = check_cv(upload, max_bytes=settings.ATELIERS_CV_MAX_BYTES)
        except UploadRefused as refused:
            raise forms.ValidationError(refused.detail, code=refused.code) from None
        return upload


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class SimulationStartForm(forms.Form):
    job_family = forms.ChoiceField(
        label=_("Job family"),
        choices=[c for c in JobFamily.choices if c[0] != JobFamily.GENERAL],
        widget=forms.RadioSelect,
    )


class FeedbackForm(forms.Form):
    at_seconds = forms.FloatField(label=_("Moment in the answer (seconds)"), min_value=0)
    criterion = forms.ChoiceField(label=_("Criterion"), choices=Criterion.choices)
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[
            (1, _("1 — to work on")),
            (2, _("2 — fair")),
            (3, _("3 — good")),
            (4, _("4 — very good")),
        ],
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
