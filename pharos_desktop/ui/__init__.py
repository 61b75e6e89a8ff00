"""The desktop window (Qt). Engine work never runs here on the UI thread: see threads.py and bridge.py."""
