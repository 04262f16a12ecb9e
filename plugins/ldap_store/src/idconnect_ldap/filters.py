"""Compile bound SCIM filters into RFC 4515 LDAP filters.

Every value goes through ldap3's ``escape_filter_chars`` (or ``escape_bytes`` for binary GUIDs);
attribute names come from the profile's map. The compiled filter never answers *less* than the
reference evaluator (:mod:`idconnect.core.filter.evaluate`); where LDAP matching is broader the
backend rechecks the candidates of each page with the evaluator. Precisely:

- ``eq``/``co``/``sw``/``ew`` on strings become equality and substring filters built by
  :func:`idconnect_ldap.matching.superset`: the value lower-cased like the evaluator, only its
  printable-ASCII runs sent (a run that a stored combining mark could compose with loses its
  last character; telephone numbers also drop spaces and hyphens). The directory normalises
  (NFKC, its own case folding, insignificant spaces), so text as such could find *fewer*
  entries than the evaluator; these runs can only find more, and the recheck removes those.
- Under ``not``/``ne`` a broader inner match would *lose* results, and no LDAP string test is
  exact against arbitrary stored text (``not (userName co "fi")`` must keep ``ﬁona``): a
  negated string test compiles to "nothing", so the negation admits every entry and the recheck
  decides. A value with irregular spaces, or any test on a loosely-matched attribute
  (``telephoneNumber``), raises :class:`UnsupportedFilter` there.
- Values LDAP would call invalid (a NUL character; text that is non-ASCII after ``lower()`` for
  an IA5String attribute such as ``mail``) can equal no stored value; they are folded to
  constants, because LDAP would answer "undefined", which ``(!...)`` does not turn into true.
- ``gt``/``ge``/``lt``/``le`` on strings are answered by the recheck over every entry holding
  the attribute (``(uid=*)``; negated: every entry): the ordering rule compares normalised text
  (``ﬁ`` sorts as ``fi``), not code points. Attributes without an ordering rule (IA5 ``mail``,
  ``telephoneNumber``) raise :class:`UnsupportedFilter`.
- dateTimes: the directory keeps whole seconds, so bounds are rounded to whole seconds exactly
  (``gt t`` is ``>= floor(t)+1s``) and ``eq`` with a fraction matches nothing.
- ``active`` is compiled by the configured status strategy (:mod:`idconnect_ldap.status`),
  ``failedAttempts.password`` to the presence of ``pwdFailureTime`` (only comparisons that do not
  depend on the exact count are answered), ``groups.value`` to ``memberOf`` with the group's DN,
  ``id`` to ``entryUUID`` (case-exact: a value that is not a lower-case UUID matches nothing).
- Without ``memberOf`` (no memberof overlay), ``groups.value``/``groups.display`` tests read the
  matching groups' member attribute and become an ``entryDN`` disjunction of those members
  (exact, so also under ``not``); more than 5,000 members raise :class:`UnsupportedFilter`.
- Custom attributes (the LDAP attributes named by their ``source``) are compiled by
  :mod:`idconnect_ldap.custom_filters`, by their type and the attribute's matching rules.
- A value path over ``emails``/``phoneNumbers`` (only their ``value`` is held) compiles to a
  broader attribute-wise filter that the recheck narrows; inside ``not`` only a single positive
  test is answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from ldap3.utils.conv import escape_bytes, escape_filter_chars  # type: ignore[import-untyped]

from idconnect.backend import (
    And,
    AttrPath,
    Catalogue,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    UnsupportedFilter,
    ValuePath,
    left_operands,
    to_text,
)
from idconnect_ldap.custom import CustomAttribute
from idconnect_ldap.custom_filters import compile_custom, present
from idconnect_ldap.expressions import Compiled, conjoin, disjoin, negate
from idconnect_ldap.matching import plain, superset
from idconnect_ldap.settings import Profile
from idconnect_ldap.status import PpolicyStatus, Status, UacStatus
from idconnect_ldap.values import ceil_second, format_generalized_time, guid_to_bytes

__all__ = ["Compiled", "FilterCompiler", "conjoin", "disjoin", "negate"]


_TIME_PATHS = frozenset({"meta.created", "meta.lastModified", "lastLogin"})
_SUBSTRING = frozenset({CompareOp.CO, CompareOp.SW, CompareOp.EW})
_MAX_GROUPS = 1000
_MAX_MEMBERS = 5000
_ORDERING = frozenset({CompareOp.GT, CompareOp.GE, CompareOp.LT, CompareOp.LE})


class FilterCompiler:
    """Compiles bound filters for one store.

    :param profile: the directory profile (attribute names, syntaxes, rules).
    :param catalogue: the store's catalogue (for case-exactness).
    :param group_dn: resolves a group id to its DN (``None`` when no group has that id).
    :param group_dns: the DNs of the groups whose entries match an LDAP filter.
    :param status: how ``active`` is held: ``"profile"`` (the default) takes the profile's
        ``ppolicy`` or ``uac``; ``None`` when the store holds no status.
    :param group_members: the member DNs of the groups whose entries match an LDAP filter; used
        for ``groups.*`` when the profile has no ``memberOf`` attribute.
    :param custom: the custom attributes by lower-case name (see
        :mod:`idconnect_ldap.custom_filters`).
    """

    def __init__(
        self,
        profile: Profile,
        catalogue: Catalogue,
        group_dn: Callable[[str], str | None],
        group_dns: Callable[[str], list[str]],
        *,
        status: Status | Literal["profile"] | None = "profile",
        group_members: Callable[[Compiled], list[str]] | None = None,
        custom: Mapping[str, CustomAttribute] | None = None,
    ) -> None:
        self.profile = profile
        self.custom: Mapping[str, CustomAttribute] = custom or {}
        self.catalogue = catalogue
        self.group_dn = group_dn
        self.group_dns = group_dns
        self.group_members = group_members
        if status == "profile":
            status = UacStatus() if profile.status == "uac" else PpolicyStatus(failures=True)
        self.status: Status | None = status

    def compile(self, node: Filter) -> Compiled:
        """Compile a bound filter.

        :param node: a filter bound to the store's catalogue.
        :returns: LDAP filter text whose matches include every account the reference evaluator
            matches, or a constant.
        :raises UnsupportedFilter: naming a node the directory cannot answer; a refusal that
            does not depend on what the directory holds comes before any group lookup.
        """
        self._dry_run()._node(node, negated=False)
        return self._node(node, negated=False)

    def _dry_run(self) -> FilterCompiler:
        """A copy of this compiler whose group lookups ask nothing (no group, no member)."""
        return FilterCompiler(
            self.profile,
            self.catalogue,
            lambda group_id: None,
            lambda ldap_filter: [],
            status=self.status,
            group_members=(lambda groups: []) if self.group_members is not None else None,
            custom=self.custom,
        )

    # -- structure --------------------------------------------------------------------------

    def _node(self, node: Filter, negated: bool) -> Compiled:
        if isinstance(node, And):
            return conjoin([self._node(o, negated) for o in left_operands(node)])
        if isinstance(node, Or):
            return disjoin([self._node(o, negated) for o in left_operands(node)])
        if isinstance(node, Not):
            return negate(self._node(node.operand, not negated))
        if isinstance(node, ValuePath):
            return self._value_path(node, negated)
        if isinstance(node, Present):
            return self._present(node.path)
        if node.op is CompareOp.NE:
            equal = Comparison(node.path, CompareOp.EQ, node.value)
            return negate(self._comparison(equal, node, not negated))
        return self._comparison(node, node, negated)

    def _value_path(self, node: ValuePath, negated: bool) -> Compiled:
        inner = node.filter
        if negated:
            if isinstance(inner, Present) or (
                isinstance(inner, Comparison) and inner.op is not CompareOp.NE
            ):
                return self._node(inner, negated=True)
            raise self._unsupported(
                node, "a value path with more than one test cannot be answered inside 'not'"
            )
        return self._element_superset(inner, node.path)

    def _element_superset(self, node: Filter, parent: AttrPath) -> Compiled:
        """A filter matching every account in which some element meets ``node``."""
        if isinstance(node, And):
            return conjoin([self._element_superset(o, parent) for o in left_operands(node)])
        if isinstance(node, Or):
            return disjoin([self._element_superset(o, parent) for o in left_operands(node)])
        if isinstance(node, Present) or (
            isinstance(node, Comparison) and node.op is not CompareOp.NE
        ):
            return self._node(node, negated=False)
        return self._present(AttrPath(parent.name, "value"))

    # -- leaves ---------------------------------------------------------------------------------

    def _unsupported(self, node: Filter, why: str) -> UnsupportedFilter:
        text = to_text(node)
        return UnsupportedFilter(f"cannot answer {text!r} exactly: {why}", node=text)

    def _ldap_name(self, path: AttrPath, node: Filter) -> str:
        name = self.profile.attributes.get(path.dotted)
        if name is None:
            raise self._unsupported(node, f"{path.dotted!r} is not mapped to an LDAP attribute")
        return name

    def _present(self, path: AttrPath) -> Compiled:
        dotted = path.dotted
        node = Present(path)
        if dotted in ("id", "active", "failedAttempts.password"):
            return True
        if dotted in ("groups.value", "groups.display"):
            if not self.profile.member_of_attribute:
                return self._members_of(True, node)
            return f"({self._member_of(node)}=*)"
        if dotted.lower() in self.custom:
            return present(self.custom[dotted.lower()])
        name = self._ldap_name(path, node)
        return self._without_placeholder(name, f"({name}=*)")

    def _member_of(self, node: Filter) -> str:
        if not self.profile.member_of_attribute:
            raise self._unsupported(node, "the directory has no memberOf attribute")
        return self.profile.member_of_attribute

    def _members_of(self, groups: Compiled, node: Filter) -> Compiled:
        """Match the accounts listed in the member attribute of the groups ``groups`` matches."""
        if self.group_members is None:
            raise self._unsupported(node, "the directory has no memberOf attribute")
        if groups is False:
            return False
        dns = self.group_members(groups)
        if len(dns) > _MAX_MEMBERS:
            raise self._unsupported(node, f"the groups have more than {_MAX_MEMBERS} members")
        attribute = self.profile.dn_attribute
        return disjoin([f"({attribute}={escape_filter_chars(dn)})" for dn in sorted(set(dns))])

    def _without_placeholder(self, name: str, text: Compiled) -> Compiled:
        marker = self.profile.placeholders.get(name)
        if marker is None:
            return text
        return conjoin([text, f"(!({name}={escape_filter_chars(marker)}))"])

    def _comparison(self, node: Comparison, shown: Filter, negated: bool) -> Compiled:
        dotted = node.path.dotted
        if dotted == "id":
            return self._id(node, shown)
        if dotted == "active":
            return self._active(node, shown, negated)
        if dotted == "failedAttempts.password":
            return self._failures(node, shown)
        if dotted == "groups.value":
            return self._group(node, shown)
        if dotted == "groups.display":
            return self._group_display(node, shown, negated)
        custom = self.custom.get(dotted.lower())
        if custom is not None:
            return compile_custom(custom, node, negated, lambda why: self._unsupported(shown, why))
        name = self._ldap_name(node.path, shown)
        if dotted in _TIME_PATHS:
            return self._time(name, node, shown)
        if not isinstance(node.value, str):
            raise self._unsupported(shown, f"{dotted!r} takes text")
        return self._without_placeholder(name, self._string(name, node, shown, negated))

    def _id(self, node: Comparison, shown: Filter) -> Compiled:
        if node.op is not CompareOp.EQ:
            raise self._unsupported(shown, "ids can only be compared for equality")
        value = node.value
        try:
            canonical = str(uuid.UUID(str(value)))
        except ValueError:
            return False
        if canonical != value:
            return False  # ids are case-exact and canonical: no entry has this one
        attribute = self.profile.id_attribute
        if attribute == "objectGUID":
            return f"({attribute}={escape_bytes(guid_to_bytes(canonical))})"
        return f"({attribute}={escape_filter_chars(canonical)})"

    def _active(self, node: Comparison, shown: Filter, negated: bool) -> Compiled:
        if self.status is None:
            raise self._unsupported(shown, "this directory holds no account status")
        return self.status.compile(node.value is True, negated)

    def _failures(self, node: Comparison, shown: Filter) -> Compiled:
        if (
            self.status is None
            or self.status.kind != "ppolicy"
            or not self.status.failure_attribute
        ):
            raise self._unsupported(shown, "failed attempts are not filterable in this directory")
        n = node.value
        assert isinstance(n, int)
        tests: dict[CompareOp, Callable[[int], bool]] = {
            CompareOp.EQ: lambda k: k == n,
            CompareOp.GT: lambda k: k > n,
            CompareOp.GE: lambda k: k >= n,
            CompareOp.LT: lambda k: k < n,
            CompareOp.LE: lambda k: k <= n,
        }
        test = tests[node.op]
        positive = {test(k) for k in (1, n - 1, n, n + 1, 2**62) if k >= 1}
        if len(positive) != 1:
            raise self._unsupported(
                shown, "the directory records failures as timestamps: only zero/non-zero tests"
            )
        some, zero = positive.pop(), test(0)
        present = "(pwdFailureTime=*)"
        if some and zero:
            return True
        if some:
            return present
        return negate(present) if zero else False

    def _group(self, node: Comparison, shown: Filter) -> Compiled:
        if node.op is not CompareOp.EQ:
            raise self._unsupported(shown, "group ids can only be compared for equality")
        if not self.profile.member_of_attribute:
            return self._members_of(self._id(node, shown), shown)
        member_of = self._member_of(shown)
        dn = self.group_dn(str(node.value))
        return False if dn is None else f"({member_of}={escape_filter_chars(dn)})"

    def _group_display(self, node: Comparison, shown: Filter, negated: bool) -> Compiled:
        """Find the groups whose name matches, then test ``memberOf`` against their DNs."""
        if not isinstance(node.value, str):
            raise self._unsupported(shown, "group names are text")
        name = self.profile.group_name_attribute
        matching = self._string(name, node, shown, negated)
        if not self.profile.member_of_attribute:
            return self._members_of(matching, shown)
        member_of = self._member_of(shown)
        if isinstance(matching, bool):
            return matching
        dns = self.group_dns(matching)
        if len(dns) > _MAX_GROUPS:
            raise self._unsupported(shown, f"more than {_MAX_GROUPS} groups match")
        return disjoin([f"({member_of}={escape_filter_chars(dn)})" for dn in dns])

    def _time(self, name: str, node: Comparison, shown: Filter) -> Compiled:
        value = node.value
        if not isinstance(value, datetime):
            raise self._unsupported(shown, f"{node.path.dotted!r} takes a dateTime")
        floor = value.replace(microsecond=0)
        whole = floor == value
        second = timedelta(seconds=1)
        if node.op is CompareOp.EQ:
            return f"({name}={format_generalized_time(value)})" if whole else False
        if node.op is CompareOp.GE:
            return f"({name}>={format_generalized_time(ceil_second(value))})"
        if node.op is CompareOp.GT:
            return f"({name}>={format_generalized_time(floor + second)})"
        if node.op is CompareOp.LE:
            return f"({name}<={format_generalized_time(floor)})"
        if node.op is CompareOp.LT:
            return f"({name}<={format_generalized_time(ceil_second(value) - second)})"
        raise self._unsupported(shown, "dateTimes take eq, ne, gt, ge, lt and le")

    def _string(self, name: str, node: Comparison, shown: Filter, negated: bool) -> Compiled:
        """A string test: a superset of the evaluator's matches, or (negated) a subset."""
        value = node.value
        assert isinstance(value, str)
        op = node.op
        if op in _ORDERING:
            return self._ordering(name, negated, shown)
        if "\x00" in value:
            return False  # no stored text holds NUL
        if name in self.profile.ia5_attributes and not value.lower().isascii():
            return False  # an IA5String holds ASCII only, which lower() keeps ASCII
        loose = name in self.profile.loose_attributes
        if negated:
            if loose or not plain(value):
                raise self._unsupported(
                    shown,
                    f"LDAP matching of {name!r} ignores spaces (or hyphens) that the filter"
                    " counts, which cannot be negated exactly",
                )
            return False  # under 'not': every entry is a candidate, rechecked locally
        return superset(name, op, value, loose=loose)

    def _ordering(self, name: str, negated: bool, shown: Filter) -> Compiled:
        """Every entry holding the attribute (or, negated, none): the recheck orders them.

        The directory's ordering rule compares normalised text (compatibility folding,
        composition, insignificant spaces), which the evaluator's code-point order does not.
        """
        if not self.profile.ordering_rule or name in self.profile.ia5_attributes:
            raise self._unsupported(shown, f"{name!r} has no ordering matching rule")
        if name in self.profile.loose_attributes:
            raise self._unsupported(shown, f"{name!r} has no ordering matching rule")
        return False if negated else f"({name}=*)"
