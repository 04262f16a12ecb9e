"""Tables and one-line summaries of identity verifications and consents."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from idconnect.cli.render import add_column, when
from idconnect.core.instants import utc_now
from idconnect.core.records import Consent, IdentityVerification, VerificationStatus

__all__ = ["consent_summary", "consent_table", "verification_summary", "verification_table"]


def verification_table(found: Sequence[IdentityVerification]) -> Table:
    """Build the table of an account's verifications.

    :param found: the verifications, newest first.
    :returns: the table (status as of now; revoked ones say by whom and why).
    """
    now = utc_now()
    table = Table(header_style="bold")
    add_column(table, "ID", no_wrap=True)
    for column in ("Status", "Policy", "Level", "Methods", "Evidence"):
        add_column(table, column)
    for column in ("Verified", "Expires"):
        add_column(table, column, min_width=len("2024-05-01"))
    add_column(table, "By")
    add_column(table, "Revoked")
    for v in found:
        revoked = ""
        if v.revoked_at is not None:
            revoked = f"{when(v.revoked_at)} by {v.revoked_by}: {v.revoke_reason or ''}".strip()
        table.add_row(
            v.id,
            v.status_at(now).value,
            v.policy,
            v.level.value,
            ", ".join(v.methods),
            v.evidence,
            when(v.verified_at),
            when(v.expires_at),
            v.verified_by,
            revoked,
        )
    return table


def verification_summary(found: Sequence[IdentityVerification]) -> str:
    """Say in one line where an account's identity verification stands.

    :param found: the verifications, newest first.
    :returns: e.g. ``verified (document-check, substantial) until 2027-05-01; 1 revoked``.
    """
    if not found:
        return "not verified"
    now = utc_now()
    valid = [v for v in found if v.status_at(now) is VerificationStatus.VALID]
    if valid:
        latest = valid[0]
        until = "" if latest.expires_at is None else f" until {latest.expires_at:%Y-%m-%d}"
        text = f"verified ({latest.policy}, {latest.level.value}){until}"
    else:
        text = "not verified"
    ended = {status: 0 for status in (VerificationStatus.REVOKED, VerificationStatus.EXPIRED)}
    for v in found:
        status = v.status_at(now)
        if status in ended:
            ended[status] += 1
    rest = ", ".join(f"{n} {status.value}" for status, n in ended.items() if n)
    return f"{text}; {rest}" if rest else text


def consent_table(found: Sequence[Consent]) -> Table:
    """Build the consent log table of an account.

    :param found: the consents, newest agreement first.
    :returns: the table.
    """
    table = Table(header_style="bold")
    add_column(table, "ID", no_wrap=True)
    for column in ("Purpose", "Version"):
        add_column(table, column)
    for column in ("Agreed", "Opted out"):
        add_column(table, column, min_width=len("2024-05-01"))
    for column in ("Ended how", "By", "Reason"):
        add_column(table, column)
    for c in found:
        table.add_row(
            c.id,
            c.purpose,
            c.version,
            when(c.agreed_at),
            "" if c.opted_out_at is None else when(c.opted_out_at),
            "" if c.ended_how is None else c.ended_how.value,
            c.revoked_by or "",
            c.reason or "",
        )
    return table


def consent_summary(found: Sequence[Consent]) -> str:
    """Say in one line which consents an account holds.

    :param found: the consents, newest agreement first.
    :returns: e.g. ``marketing-email v2, terms v2025-01; 3 ended``, or ``none``.
    """
    active = [f"{c.purpose} v{c.version}" for c in found if c.active]
    ended = len(found) - len(active)
    text = ", ".join(active) or "none active"
    if not found:
        return "none"
    return f"{text}; {ended} ended" if ended else text
