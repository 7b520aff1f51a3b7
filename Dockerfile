# The portal's image: daphne serving portal.asgi, the same image runs the task worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    VAR_DIR=/var/lib/portal

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --shell /usr/sbin/nologin portal

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build ALLOWED_HOSTS=localhost \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/portal/private && chown -R portal /var/lib/portal

USER portal
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "portal.asgi:application"]
