from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Not business logic: logging out, a new password or a deactivation must close the
        # person's open websockets, whichever code path (allauth, admin, shell) made it.
        from django.contrib.auth.signals import user_logged_in

        from . import middleware, second_factor, sockets

        user_logged_in.connect(middleware.on_user_logged_in, dispatch_uid="portal-staff-idle")

        sockets.connect_signals(self.get_model("User"))
        second_factor.connect_signals()
