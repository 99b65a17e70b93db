"""The fixtures build the Kyrgyz test registry on each backend."""

from registry.models import User


def test_registry_data_has_every_role(registry_data, db_session):
    roles = {db_session.get(User, uid).role for uid in registry_data.users.values()}
    assert roles == {"admin", "clinic_staff", "epidemiologist", "ministry"}
