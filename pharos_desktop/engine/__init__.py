"""The Pharos Desktop engine: everything but the window. Never imports Qt (import-linter checks).

Front ends use: ``Workspace`` (workspace.py), ``Ingestor`` (ingest.py), ``Searcher`` (search.py),
``Syncer`` (sync/), ``diagnose`` (doctor.py); they receive progress as the dataclasses in events.py
and stop work with a ``CancelToken`` (cancel.py). Imports stay lazy here so that opening the window
never waits for torch or Chroma.
"""
