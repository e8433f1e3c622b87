"""jiedan (接单): a local-first freelancer workstation with its marketplace server."""

__version__ = "0.1.0"
