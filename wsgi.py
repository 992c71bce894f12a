"""WSGI entry point: ``gunicorn wsgi:app``."""

from polls_site import create_app

app = create_app()
