# studybot: slim image, non-root, database on a volume.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STUDYBOT_DB=/data/studybot.sqlite3 \
    STUDYBOT_HEALTH__PORT=8080

RUN useradd --create-home --uid 10001 studybot \
    && mkdir /data && chown studybot:studybot /data

# The wheel bundles the question bank and the default config (pyproject.toml),
# so all four are needed to build it; nothing is read from /build afterwards.
WORKDIR /build
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY questions ./questions
COPY config ./config
RUN pip install . && rm -rf /build

USER studybot
WORKDIR /home/studybot
VOLUME ["/data"]
# /healthz: the database answers, the scheduler runs, every platform is connected.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["studybot"]
CMD ["console"]
