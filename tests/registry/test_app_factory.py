"""The factory builds an app on each backend with an empty schema."""

from sqlalchemy import inspect

from registry.extensions import db


def test_schema_has_every_model_table(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
