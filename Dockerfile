# maillage: the portal and its command line, run as a non-root user.
# Build: docker build -t maillage .   Run with PostgreSQL: docker compose up -d (compose.yaml)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump / pg_restore / psql 15 for `maillage db backup|restore` (same major as compose's server)
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 maillage \
    && useradd --system --uid 10001 --gid maillage --create-home --home-dir /home/maillage maillage \
    && mkdir -p /data /backups && chown maillage:maillage /data /backups

WORKDIR /opt/maillage
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install . && rm -rf /opt/maillage/src /root/.cache
COPY docker/entrypoint.sh /usr/local/bin/maillage-entrypoint

USER maillage
WORKDIR /data
# Without PostgreSQL: a SQLite map in the /data volume.
ENV MAILLAGE_DATABASE_URL=sqlite:////data/maillage.sqlite \
    MAILLAGE_CACHE_DIR=/data/cache \
    MAILLAGE_PORT=8000
VOLUME ["/data"]
EXPOSE 8000

# /healthz answers 200 when the portal and its database answer (503 otherwise); the
# start period leaves time for the first `maillage demo` load.
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MAILLAGE_PORT', '8000'), timeout=4)"

ENTRYPOINT ["maillage-entrypoint"]
CMD ["serve"]
