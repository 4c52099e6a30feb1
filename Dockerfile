# The voice-regress-gate GitHub Action: `python /action/entrypoint.py` maps INPUT_* to the CLI.
# GitHub runs it as root, with no WORKDIR (the runner sets -w /github/workspace) and no USER.
# Releases should pin the base by digest (python:3.12-slim@sha256:…) and publish a prebuilt image.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# git: change-based selection diffs the workspace. Debian's current git is the one we want.
# The package lists and apt's binary caches would only make the image bigger.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# Dependencies first, read from pyproject.toml only: editing the code keeps this layer cached.
COPY pyproject.toml /action/pyproject.toml
RUN python -c "import tomllib; \
print('\n'.join(tomllib.load(open('/action/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the package itself, without touching the dependencies again.
COPY README.md /action/README.md
COPY gate /action/gate
COPY entrypoint.py /action/entrypoint.py
RUN pip install --no-cache-dir --no-deps /action \
    && rm -rf /action/build /action/*.egg-info

ENTRYPOINT ["python", "/action/entrypoint.py"]
