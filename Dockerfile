# The MCS server image used by compose.yaml.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md alembic.ini ./
COPY mcs mcs
COPY models models
COPY resolvers resolvers
COPY schema schema
COPY realtime realtime
COPY files files
COPY migrations migrations
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["mcs", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
