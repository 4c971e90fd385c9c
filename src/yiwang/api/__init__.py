"""The HTTP API (django-ninja) at ``/api/v1/``: assembly, authentication and the one error handler."""
