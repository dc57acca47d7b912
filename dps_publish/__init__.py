"""dps-publish: the council's commissioning tables in, a website and open data out."""

__version__ = "0.1.0"
