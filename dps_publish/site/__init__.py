"""Stages 7 to 9, the website: pages written by Pelican, the site check and the search index."""
