"""The embedded default that `make run` serves: SQLite, in-memory channel layer, console mail."""

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)  # noqa: F405

# The embedded SQLite database and uploads live under var/ (ignored by git).
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
# whitenoise serves static files straight from the apps' folders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
