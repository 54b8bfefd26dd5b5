"""Servicielle: the open-source platform of the ville servicielle."""

__version__ = "0.1.0"
