"""Enrolment and way-back forms: every field labelled, every refusal explained in French."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from portal.forms import PortalForm

from .models import AccessibilityNeed, AgeBand, ContactChannel, ReturnReason


class DeclarationsForm(PortalForm):
    agency = forms.ModelChoiceField(
        label=_("Your Pôle emploi agency"),
        queryset=Agency.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose your agency in the list.")},
    )
    device_with_webcam = forms.BooleanField(
        label=_("I have a computer or a tablet with a webcam and a microphone"),
        error_messages={
            "required": _("The 100% web follow-up needs a computer or tablet with a webcam.")
        },
    )
    good_connection = forms.BooleanField(
        label=_("I have a good internet connection at home"),
        error_messages={"required": _("Webcam interviews need a good internet connection.")},
    )
    age_band = forms.ChoiceField(
        label=_("Your age"),
        choices=AgeBand.choices,
        help_text=_("Used only for anonymous statistics."),
    )
    preferred_channel = forms.ChoiceField(
        label=_("How do you prefer to be contacted?"), choices=ContactChannel.choices
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        required=False,
        max_length=20,
        help_text=_("Only used to call you back when a video interview fails."),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the notice on the processing of my data and I agree to be followed "
            "entirely online"
        ),
        error_messages={"required": _("Your consent is needed to be followed online.")},
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = phone.replace(" ", "").replace(".", "").replace("-", "")
        if digits and not (digits.lstrip("+").isdigit() and 10 <= len(digits) <= 13):
            raise forms.ValidationError(_("Enter a phone number such as 06 12 34 56 78."))
        return phone


class AccessibilityForm(PortalForm):
    need = forms.ChoiceField(
        label=_("Do you have accessibility needs?"),
        choices=AccessibilityNeed.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "A seeker who signs is followed by an advisor who signs in French Sign Language."
        ),
    )
    details = forms.CharField(
        label=_("Tell us what would help you (optional, required for « Other need »)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("need") == AccessibilityNeed.OTHER
            and not cleaned.get("details", "").strip()
        ):
            self.add_error("details", _("Describe your need so that we can adapt the follow-up."))
        return cleaned


class ReturnToAgencyForm(PortalForm):
    confirm = forms.BooleanField(
        label=_("I confirm that I want to be followed again in my agency"),
        error_messages={"required": _("Tick the box to confirm your return to the agency.")},
    )
    reason = forms.ChoiceField(
        label=_("Why? (optional)"),
        choices=[("", _("I prefer not to say")), *ReturnReason.choices],
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
