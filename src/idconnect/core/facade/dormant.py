"""The dormant-account policy of a store: plan it, or run it (warnings, then durable jobs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import frozen

from idconnect.core.dormant import (
    Decision,
    DormantPolicy,
    DormantState,
    Mark,
    decide,
    read_dormant,
)
from idconnect.core.errors import NotFound
from idconnect.core.facade.jobs import JobOperations
from idconnect.core.jobs import Job, job_document
from idconnect.core.notification import Notification

__all__ = ["DormantOperations", "DormantRun"]


@frozen(kw_only=True)
class DormantRun:
    """One run of the dormant policy: every decision, and what the run did about them."""

    decisions: tuple[Decision, ...]
    """Each account the policy concerns (``none`` decisions left out), in store order."""
    dry_run: bool
    warnings: tuple[Notification, ...] = ()
    """The warnings sent (each ``sent`` or ``failed`` with its cause)."""
    jobs: tuple[Job, ...] = ()
    """The durable jobs started (disable, delete); their reason names the policy."""

    def of(self, action: str) -> tuple[Decision, ...]:
        """Return the decisions of one kind (``warn``, ``disable``, ``delete``, ``wait``, ...)."""
        return tuple(d for d in self.decisions if d.action == action)

    def document(self, jobs: Sequence[Job] | None = None) -> dict[str, Any]:
        """Return the run as JSON (the CLI's ``--json`` and the admin API's answer).

        :param jobs: the jobs as read again (after waiting for them); default as started.
        :returns: the decisions, the warnings' outcomes and the jobs.
        """
        return {
            "dryRun": self.dry_run,
            "decisions": [
                {
                    "accountId": d.account_id,
                    "userName": d.user_name,
                    "action": d.action,
                    "why": d.why,
                }
                for d in self.decisions
            ],
            "warnings": [
                {"accountId": n.account_id, "status": n.status.value, "cause": n.cause}
                for n in self.warnings
            ],
            "jobs": [job_document(j) for j in (self.jobs if jobs is None else jobs)],
        }


class DormantOperations(JobOperations):
    """The dormant policy of :class:`~idconnect.core.facade.store.Store`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dormant_policy: DormantPolicy | None = read_dormant(self.config)
        """The store's ``[stores.NAME.policies.dormant]``, or ``None``."""

    @property
    def _dormant(self) -> DormantState:
        found: DormantState | None = getattr(self, "_dormant_state", None)
        if found is None:
            found = self._dormant_state = DormantState(self.hub.state)
        return found

    def run_dormant_policy(
        self, *, dry_run: bool = False, actor: str | None = None, runner: str = "thread"
    ) -> DormantRun:
        """Apply the store's dormant policy at the hub's clock's now.

        Every account is judged (:func:`~idconnect.core.dormant.decide`). Without ``dry_run``:
        customers due a warning are told through the policy's client (each warning recorded,
        so a re-run does not warn again); a warning is dropped for a customer who logged in
        since; the accounts due to be disabled, and those due to be deleted, each go to one
        durable job whose reason names the policy.

        :param dry_run: only say who would be warned, disabled or deleted, and why.
        :param actor: the acting admin (needs the jobs' and notifications' permissions).
        :param runner: the jobs' runner, as for :meth:`start_job`.
        :returns: the decisions and what was done.
        :raises NotFound: when the store has no dormant policy configured.
        :raises PermissionDenied: without ``accounts.read`` (and, to act, the actions' ones).
        """
        policy = self.dormant_policy
        if policy is None:
            raise NotFound(
                "this store has no dormant policy: configure [stores."
                f"{self.name}.policies.dormant]",
                store=self.name,
            )
        now = self.hub.clock()
        marks = self._dormant.marks(self.name)
        decisions = tuple(
            d
            for d in (
                decide(policy, account, marks.get(str(account.id)) or Mark(), now)
                for account in self.iter_accounts(actor=actor, page_size=500)
            )
            if d.action != "none"
        )
        if dry_run:
            return DormantRun(decisions=decisions, dry_run=True)
        reason = policy.describe()
        warnings = []
        for decision in decisions:
            if decision.action == "clear":
                self._dormant.clear(self.name, decision.account_id)
            elif decision.action == "warn":
                assert policy.warn_client is not None
                sent = self.notify(
                    decision.account_id,
                    "account_dormant",
                    client=policy.warn_client,
                    reason=reason,
                    actor=actor,
                )
                warnings.append(sent)
                self._dormant.mark(
                    self.name, decision.account_id, warned_at=now, notification_id=sent.id
                )
        jobs = []
        for action in ("disable", "delete"):
            ids = [d.account_id for d in decisions if d.action == action]
            if not ids:
                continue
            job = self.start_job(action, ids=ids, reason=reason, actor=actor, runner=runner)
            jobs.append(job)
            for account_id in ids:
                if action == "disable":
                    self._dormant.mark(self.name, account_id, disabled_at=now, job_id=job.id)
                else:
                    self._dormant.clear(self.name, account_id)
        return DormantRun(
            decisions=decisions, dry_run=False, warnings=tuple(warnings), jobs=tuple(jobs)
        )
