"""Settings of the server that ``bench/submit_http.py`` starts: the project's settings, with a URLconf that
adds one bare view beside the project's URLs. Nothing else differs, so both endpoints are served by the
same gunicorn workers, middleware and database."""

from yiwang.settings import *  # noqa: F403

ROOT_URLCONF = "_bench_urls"
