# syntax=docker/dockerfile:1
# The Kakehashi gateway image: dependencies exactly as locked (uv.lock, no dev group), the app
# installed non-editable into /opt/kakehashi, run as an unprivileged user. Nothing is fetched
# when a container starts: the Sudachi dictionary, templates and litellm's price map are in the
# image. Build: `docker build -t kakehashi .`; run: docker-compose.yml or deploy/kubernetes/.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# uv from PyPI like every other Python package; bytecode compiled at build, not at first start.
RUN python -m pip install --no-cache-dir --disable-pip-version-check uv==0.13.8
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/kakehashi
WORKDIR /src
# Dependencies first (a layer that survives code changes), then the project itself.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md ./
COPY gateway gateway
COPY policies policies
COPY redaction redaction
COPY audit audit
COPY web web
RUN uv sync --locked --no-dev --no-editable

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 kakehashi \
    && useradd --system --uid 10001 --gid kakehashi --home-dir /var/lib/kakehashi \
       --create-home --shell /usr/sbin/nologin kakehashi \
    && install -d -o kakehashi -g kakehashi -m 0700 /var/lib/kakehashi/spool
COPY --from=build /opt/kakehashi /opt/kakehashi
# Example policies and the Compose configuration; mount your own over /etc/kakehashi.
COPY policies/examples /etc/kakehashi/policies
COPY deploy/kakehashi.yaml /etc/kakehashi/kakehashi.yaml
ENV PATH=/opt/kakehashi/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    KAKEHASHI_CONFIG=/etc/kakehashi/kakehashi.yaml
# spool_dir (kakehashi.yaml): mount a volume here so fsync'd records outlive the container.
VOLUME /var/lib/kakehashi/spool
USER 10001:10001
WORKDIR /var/lib/kakehashi
EXPOSE 8080
# Liveness only (the process answers); readiness (database, Redis) is /readyz, for the balancer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["kakehashi", "serve"]
