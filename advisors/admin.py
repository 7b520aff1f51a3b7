from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from agencies.admin import ManagerScopedAdmin
from agencies.models import Agency

from .models import Advisor, Skill
from .services import advisor_create


class AdvisorAddForm(forms.ModelForm):
    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    class Meta:
        model = Advisor
        fields = ["agency", "capacity", "state", "skills", "backup"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account already uses this email address."))
        return email


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(Advisor)
class AdvisorAdmin(ManagerScopedAdmin):
    list_display = [
        "__str__",
        "email",
        "agency",
        "state",
        "load",
        "capacity",
        "signs_lsf",
        "backup",
    ]
    list_filter = ["state", "skills", "agency"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "agency", "backup__user"]
    filter_horizontal = ["skills"]
    fields = ["user", "agency", "capacity", "state", "skills", "backup"]
    readonly_fields = ["user"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AdvisorAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["email", "first_name", "last_name", "agency", "capacity", "state", "skills"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).with_load().prefetch_related("skills")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            kwargs["queryset"] = Agency.objects.for_user(request.user)
        if db_field.name == "backup":
            kwargs["queryset"] = Advisor.objects.for_user(request.user).select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = advisor_create(
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            agency=form.cleaned_data["agency"],
            capacity=form.cleaned_data["capacity"],
        )
        created.state = form.cleaned_data["state"]
        created.save(update_fields=["state"])
        obj.pk = created.pk
        obj.user = created.user

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("load"), ordering="load")
    def load(self, obj):
        return obj.load

    @admin.display(description=_("signs LSF"), boolean=True)
    def signs_lsf(self, obj):
        return obj.signs_lsf
