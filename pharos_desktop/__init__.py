"""Pharos Desktop: ingest git repositories locally and publish them to a Pharos cloud account."""

__version__ = "0.1.0"
APP_NAME = "Pharos Desktop"
