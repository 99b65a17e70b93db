"""Server-rendered HTML forms for clinic staff."""

from flask import Blueprint

blueprint = Blueprint("web", __name__)
