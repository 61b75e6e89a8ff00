"""The local index: the SQLite catalog (repositories, files, chunks, its file and its damage), the keyword
index over the search words of words.py, the chunk record, and the vectors (Chroma, and a read-only copy
for quick searches). An ingest writes into it only through ``LocalIndex`` (engine/local_index.py)."""
