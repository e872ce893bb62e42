# The MCS server image used by compose.yaml: the web app built by node, served by the Python app.
FROM node:20-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
COPY schema/schema.graphql /build/schema/schema.graphql
RUN npm run codegen && npm run build

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MCS_WEB_DIR=/app/web/dist
# OCR of scanned files (files/ocr.py): Tesseract with Spanish and poppler's pdftoppm
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-spa poppler-utils \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md alembic.ini ./
COPY core core
COPY mcs mcs
COPY models models
COPY resolvers resolvers
COPY schema schema
COPY realtime realtime
COPY files files
COPY notifications notifications
COPY migrations migrations
RUN pip install --no-cache-dir .
COPY --from=web /build/web/dist /app/web/dist
EXPOSE 8000
CMD ["mcs", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
