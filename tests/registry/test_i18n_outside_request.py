"""Lazy strings render outside a request (CLI, jobs) in the default locale."""

from flask_babel import force_locale

from registry.codes import PRIMARY_DRUGS


def test_code_labels_render_without_a_request(app):
    with app.app_context():
        assert str(PRIMARY_DRUGS["1.1"]) == "Героин"
        with force_locale("en"):
            assert str(PRIMARY_DRUGS["1.1"]) == "Heroin"
