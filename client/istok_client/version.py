"""The client's version: in the distribution's metadata and in every request's User-Agent."""

__version__ = "0.1.0"
