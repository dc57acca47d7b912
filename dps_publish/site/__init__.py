"""The ``site``, ``check-site`` and ``search-index`` stages: the pages Pelican writes, the check of every page, and
the search index."""
