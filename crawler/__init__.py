"""OIT website-compliance crawler: audit a Thai public agency's site against the ITA OIT checklist."""

__version__ = "0.1.0"

__all__ = ["__version__"]
