# The gateway image: a virtual environment built in one stage, copied into a slim runtime
# that runs it as an unprivileged user. Build from the repository root:
#   docker build -t sms-gateway .
FROM python:3.11.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
# The base image's pip installs into a venv made without pip and setuptools, which the
# runtime does not need (25 MB less).
RUN python -m venv --without-pip /opt/sms-gateway \
    && pip install --no-cache-dir --python /opt/sms-gateway/bin/python .

FROM python:3.11.11-slim-bookworm

# Bytecode is compiled at install time; the runtime user cannot (and need not) write any.
ENV PATH=/opt/sms-gateway/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid gateway --no-log-init --no-create-home \
        --shell /usr/sbin/nologin gateway
COPY --from=build /opt/sms-gateway /opt/sms-gateway
# The production example; compose mounts the config it chooses over it.
COPY docker/gateway.toml /etc/sms-gateway/gateway.toml

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
ENTRYPOINT ["sms-gateway"]
CMD ["serve", "--config", "/etc/sms-gateway/gateway.toml", "--host", "0.0.0.0", "--port", "8000"]
