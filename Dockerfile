FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip install --no-cache-dir . && useradd --system gateway
USER gateway
EXPOSE 8000
ENTRYPOINT ["sms-gateway"]
CMD ["serve", "--config", "/etc/sms-gateway/gateway.toml", "--host", "0.0.0.0"]
