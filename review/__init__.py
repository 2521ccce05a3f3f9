"""The council review web app: `create_app()` builds the Flask application served by `dti review serve`."""

from review.app import create_app

__all__ = ["create_app"]
