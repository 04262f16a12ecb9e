"""Mapped store: passwords, hashed in the mapping's scheme."""

from __future__ import annotations

import sqlalchemy as sa

from idconnect.backend import InvalidInput, Secret, hookimpl
from idconnect_sql.mapped.base import MappedBase
from idconnect_sql.passwords import hash_password

__all__ = ["MappedCredentialOps"]


class MappedCredentialOps(MappedBase):
    """Credential hooks on the mapped table: ``set_password`` (with a ``password`` column)."""

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Write the hash in the mapping's ``password_scheme`` (and ``pbkdf2_iterations``)."""
        try:
            encoded = hash_password(
                self.scheme, password.reveal(), pbkdf2_iterations=self.pbkdf2_iterations
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), store=self.name, account=account_id) from None
        with self.begin(account_id) as connection:
            done = connection.execute(
                sa.update(self.mapped)
                .where(self._where_id(account_id))
                .values({self.mapping["password"]: encoded})
            )
            if done.rowcount == 0:
                raise self.not_found("account", account_id)
