"""The desktop window (Qt). Engine work never runs here on the UI thread: see workers.py and bridge.py."""
