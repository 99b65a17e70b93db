"""Model names in the study's list names (issue 14 item 8: ``[13,23]`` alone said nothing)."""

from __future__ import annotations

from registry.services.methods import METHODS
from registry.services.methods.model_names import explain_model, result_list_names

LISTS = ["police", "NGO", "hospital"]


def test_interactions_are_written_with_the_lists_names(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert explain_model("[13,23]", LISTS) == "police × hospital, NGO × hospital"
        assert explain_model("[12,3]", LISTS) == "police × NGO"
        assert explain_model("[1,2,3]", LISTS) == "the lists are independent"
        assert explain_model("Mth Chao", LISTS) == "lists and people differ in their chance"
        assert explain_model("chao", LISTS) == ""  # a count estimator is not a model name
        assert explain_model("[14]", LISTS) == ""  # a fourth list the study does not have


def test_the_registrys_lists_by_their_names_in_the_page_language(app):
    payload = METHODS["capture_recapture"].read(
        {"linkage": {"lists": [{"ref": "registry:ost", "name": "ost"},
                               {"ref": "upload:3", "name": "police"}]}}
    )  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert result_list_names(payload) == ["Клиенты ОЗТ", "police"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert result_list_names(payload) == ["OST clients", "police"]
