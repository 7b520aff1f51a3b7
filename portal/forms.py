"""The portal's base form: DSFR rendering without django-dsfr's transitional warnings.

DsfrBaseForm.get_context() warns on every render until its next major version decides how to
mark optional fields; we take Django's own context and say which rule we follow."""

from django import forms
from dsfr.forms import DsfrBaseForm


class PortalForm(DsfrBaseForm):
    def get_context(self):
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = False
        return context
