"""The Pharos Desktop engine: everything but the window. Never imports Qt (import-linter checks).

Front ends use: ``Workspace`` (workspace.py), ``Ingestor`` (ingest.py), ``Searcher`` (query/search.py),
``Syncer`` (sync/), ``diagnose`` (doctor.py); they receive progress as the dataclasses in run/events.py
and stop work with a ``CancelToken`` (run/cancel.py). The rooms, and which may import which: README.md,
Layout. Imports stay lazy here so that opening the window never waits for torch or Chroma.
"""
