# syntax=docker/dockerfile:1
# The Rasa server: Rasa 3.6.21 on Python 3.10, as .venv-rasa (Makefile RASA_PYTHON_VERSION), with
# the trained model inside. It runs as `python -m bot.rasa_ext run …` like `make run` does
# (bot/stack.py): Rasa's CLI with our patches, scrubbing and redaction (bot/rasa_ext/).
#
# Build from the repository root, after `make train` (the model is not in git):
#   docker build -f deploy/docker/rasa.Dockerfile -t vagvisaren/rasa:3.6.21 .
# Not built here: this machine has no container daemon (docs/deploy.md, "Not verified").
FROM python:3.10.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    TF_INTER_OP_PARALLELISM_THREADS=1 \
    TF_INTRA_OP_PARALLELISM_THREADS=1 \
    HOME=/home/vagvisaren \
    MPLCONFIGDIR=/tmp/.matplotlib

WORKDIR /app
# Rasa and the few packages bot/rasa_ext imports, at the pins of .venv-rasa. Rasa 3.6 brings
# psycopg2-binary (SQL tracker store on PostgreSQL) and redis (lock store) itself.
COPY requirements/rasa.txt requirements/rasa.txt
RUN pip install -r requirements/rasa.txt

# The custom components and patches (bot/rasa_ext and the bot/ modules it imports, with
# bot/labels.yml), the place names they read, the endpoints and channels, and the model.
# endpoints.yml takes the tracker and lock store from VAGVISAREN_ variables (docs/deploy.md).
COPY bot/ bot/
COPY knowledge/gazetteer.json knowledge/gazetteer.json
COPY endpoints.yml credentials.yml ./
COPY models/vagvisaren.tar.gz models/vagvisaren.tar.gz

# A numeric non-root user, so that Kubernetes' runAsNonRoot can check it.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/vagvisaren \
        --shell /usr/sbin/nologin vagvisaren
USER 10001

EXPOSE 5005
# The API token comes from VAGVISAREN_RASA_TOKEN: bot/rasa_ext adds --auth-token in-process.
ENTRYPOINT ["python", "-m", "bot.rasa_ext"]
CMD ["run", "--enable-api", "--port", "5005", "--model", "models/vagvisaren.tar.gz", \
     "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
