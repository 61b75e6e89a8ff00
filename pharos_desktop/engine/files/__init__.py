"""The files of a checkout: which to read and why the others are skipped (scan), the user's exclusions, and
the credentials a file's text may hold (secret_scan)."""
