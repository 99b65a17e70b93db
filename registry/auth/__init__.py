"""Login, logout and the role checks every route goes through."""

from flask import Blueprint

blueprint = Blueprint("auth", __name__)
