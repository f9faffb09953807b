# syntax=docker/dockerfile:1
# The gateway (FastAPI under uvicorn, Python 3.11 as .venv): the pupils' widget, the counsellor
# view and /api/chat, in front of the Rasa replicas. It loads no model: bot.api and
# bot.summaries may not import torch or sentence-transformers (an import-linter contract), so
# the image has requirements/app.txt without sentence-transformers (and so without torch).
#
# Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t vagvisaren/gateway:0.1.0 .
# Not built here: this machine has no container daemon (docs/deploy.md, "Not verified").
FROM python:3.11.7-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements/app.txt requirements/app.txt
RUN grep -v '^sentence-transformers==' requirements/app.txt > /tmp/runtime.txt \
    && pip install -r /tmp/runtime.txt

# The gateway, its web pages (bot/web) and the knowledge base the summaries read.
COPY bot/ bot/
COPY knowledge/ knowledge/

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /var/lib/vagvisaren \
        --shell /usr/sbin/nologin vagvisaren \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/vagvisaren
USER 10001
ENV VAGVISAREN_VAR_DIR=/var/lib/vagvisaren
EXPOSE 8000
CMD ["python", "-m", "uvicorn", "bot.api.app:app", "--host", "0.0.0.0", "--port", "8000", \
     "--log-level", "warning"]
