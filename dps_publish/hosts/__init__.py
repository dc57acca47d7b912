"""Going live: the built site sent to the council's web host, verified from the public address, and put back.

``headers.py`` (the one table of Content-Type and Cache-Control), ``manifest.py`` (a release's files),
``plan.py`` (what to send, in what order, what to delete), ``base.py`` (the driver protocol), then the
drivers, and ``deploy.py``, the one sequence the CLI and the desk share.
"""
