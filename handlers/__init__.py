"""Lambda handlers. Each module here is shipped with only what it imports (see components/reporter_code.py)."""
