"""Service layer: verb functions that change the session and write the audit trail.

They never see ``request`` and never commit: the view or command that calls them owns
the transaction (commit on success, ``db.session.rollback()`` on any exception).

Modules: :mod:`~registry.services.client_codes`, :mod:`~registry.services.audit`,
:mod:`~registry.services.access`, :mod:`~registry.services.users`,
:mod:`~registry.services.clients`, :mod:`~registry.services.episodes`,
:mod:`~registry.services.ost`, :mod:`~registry.services.lab`.
Errors: :class:`ServiceError` (a rule violation, with the form field it belongs to) and
:class:`~registry.services.access.AccessDenied`.
"""

from registry.services.errors import ServiceError

__all__ = ["ServiceError"]
