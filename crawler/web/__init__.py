"""`oit serve`: a local web app for ITA admins (Thai), on the same scans, store and outputs as the CLI."""

from .app import create_app

__all__ = ["create_app"]
