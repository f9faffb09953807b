# syntax=docker/dockerfile:1
# The action server (rasa-sdk, Python 3.11 as .venv), with the matching model built in.
#
# torch is not in the image that runs. The action server answers with the model's tokenizer
# and one matrix (bot/matching/semantic.py, StaticEncoder: tokenizers + safetensors + numpy);
# only *building* that model needs sentence-transformers, and so torch. So a first stage
# installs the pinned CPU build of torch (requirements/torch.txt, from PyTorch's CPU index, as
# the Makefile does from its local CPU wheel, so that pip never pulls a CUDA build) and all of
# requirements/app.txt, and builds the model and its cached embeddings; the final stage has
# requirements/app.txt without sentence-transformers, and copies the built model. The model
# is keyed by the knowledge base and data/nlu, both copied below, so the action server finds
# it up to date and never tries to rebuild it (which would need torch).
#
# Build from the repository root:
#   docker build -f deploy/docker/actions.Dockerfile -t vagvisaren/actions:0.1.0 .
# Not built here: this machine has no container daemon (docs/deploy.md, "Not verified").
FROM python:3.11.7-slim AS runtime-deps
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
WORKDIR /app
COPY requirements/app.txt requirements/app.txt
RUN grep -v '^sentence-transformers==' requirements/app.txt > /tmp/runtime.txt \
    && pip install -r /tmp/runtime.txt

FROM runtime-deps AS matching-model
COPY requirements/torch.txt requirements/torch.txt
RUN pip install --index-url https://download.pytorch.org/whl/cpu -r requirements/torch.txt \
    && pip install -r requirements/torch.txt -r requirements/app.txt
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY data/nlu/ data/nlu/
RUN VAGVISAREN_VAR_DIR=/app/var python -c \
    "from bot.matching.shared import get_matcher; get_matcher()"

FROM runtime-deps
COPY actions/ actions/
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY data/nlu/ data/nlu/
COPY --from=matching-model /app/var/match-model/ var/match-model/
COPY --from=matching-model /app/var/match-cache/ var/match-cache/
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin vagvisaren \
    && chown -R 10001:10001 /app/var
USER 10001
# The model and its cache; the app tables are on VAGVISAREN_DATABASE_URL when scaled.
ENV VAGVISAREN_VAR_DIR=/app/var
EXPOSE 5055
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
