# studybot: slim image, non-root, database on a volume.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STUDYBOT_DB=/data/studybot.sqlite3

RUN useradd --create-home --uid 10001 studybot \
    && mkdir /data && chown studybot:studybot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
COPY questions ./questions
COPY config ./config

USER studybot
VOLUME ["/data"]
ENTRYPOINT ["studybot"]
CMD ["console"]
