"""Status labels of an account, as the listing and the account page show them."""

from __future__ import annotations

from attrs import frozen

from idconnect.core.model import Account

__all__ = ["Label", "status_labels"]


@frozen
class Label:
    """One status label."""

    text: str
    """What it says, e.g. ``Email verified`` or ``External identity: google``."""
    kind: str
    """Its style: ``ok``, ``off``, ``verified`` or ``external``."""


def status_labels(account: Account) -> list[Label]:
    """Return an account's status labels.

    :param account: the account.
    :returns: ``Enabled`` or ``Disabled``; then ``Email and phone verified``, or ``Email
        verified`` or ``Phone verified`` alone; then one ``External identity`` label per
        provider, naming it.
    """
    labels = [Label("Enabled", "ok") if account.active else Label("Disabled", "off")]
    if account.email_verified and account.phone_verified:
        labels.append(Label("Email and phone verified", "verified"))
    elif account.email_verified:
        labels.append(Label("Email verified", "verified"))
    elif account.phone_verified:
        labels.append(Label("Phone verified", "verified"))
    providers = dict.fromkeys(identity.provider for identity in account.external_identities)
    labels.extend(Label(f"External identity: {p}", "external") for p in providers)
    return labels
