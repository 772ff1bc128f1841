"""The app's own settings, plus the minimal view the benchmark compares pages against."""

from partybuild.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
