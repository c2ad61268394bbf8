"""``make bench``: LogiTrack under Gunicorn, measured against a minimal raw WSGI app."""
