"""The demo population's vocabulary: names, places, organizations, groups and roles.

Names are international on purpose (diacritics, a dotless i, an apostrophe); :func:`transliterate`
spells them for user names and addresses. :data:`STORIES` are the fixed first accounts.
"""

from __future__ import annotations

from typing import Any

from idconnect.backend import transliterate

__all__ = [
    "AGENTS",
    "DOMAINS",
    "FAMILY",
    "GIVEN",
    "GROUPS",
    "IDPS",
    "ORGANIZATIONS",
    "PLACES",
    "ROLES",
    "STORIES",
    "transliterate",
]

GIVEN = (
    "Ana",
    "Zoë",
    "José",
    "Søren",
    "Łukasz",
    "Ünal",
    "Björk",
    "François",
    "Øyvind",
    "Mia",
    "Noah",
    "Olivia",
    "Liam",
    "Emma",
    "Hiroshi",
    "Aiko",
    "Chloé",
    "Mateo",
    "Ines",
    "Thabo",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Ewa",
    "Jürgen",
    "Siobhán",
    "Kwame",
    "Lucía",
    "Ibrahim",
)
"""Given names the demo draws from."""
FAMILY = (
    "Smith",
    "Müller",
    "García",
    "Dvořák",
    "Nguyễn",
    "O'Brien",
    "Ólafsdóttir",
    "Yılmaz",  # noqa: RUF001 - Turkish dotless i, on purpose
    "Núñez",
    "Kowalski",
    "Jensen",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Kim",
    "Okafor",
    "Silva",
    "Novak",
    "Andersson",
    "Papadopoulos",
    "Cohen",
    "Singh",
    "Haddad",
    "Fernández",
    "Brown",
)
"""Family names the demo draws from."""
DOMAINS = ("example.com", "example.org", "mail.example.net", "corp.example", "example.co.uk")
"""Email domains (reserved example domains only)."""
ORGANIZATIONS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka Industries",
    "Tyrell Corp",
    "Cyberdyne",
    "Soylent",
    "Vandelay Industries",
    "Massive Dynamic",
    "Aperture Science",
    "Oscorp",
    "Pied Piper",
    "Gringotts",
    "Monsters Inc",
    "Blue Sun",
    "Duff Beer",
)
"""The organizations (the README's examples name ``Acme``)."""
GROUPS = (
    "beta testers",
    "premium",
    "newsletter",
    "vip",
    "early access",
    "fraud review",
    "support staff",
    "b2b admins",
)
"""The groups (the README's examples name ``beta testers``)."""
ROLES = ("member", "billing-admin", "org-admin", "viewer")
"""The roles given out in an account's organization."""
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
)
"""Browsers of the demo sessions."""
PLACES = (
    "Lisbon, PT",
    "Berlin, DE",
    "London, GB",
    "São Paulo, BR",
    "Tokyo, JP",
    "Lagos, NG",
    "New York, US",
    "Kraków, PL",
    "Montréal, CA",
    "Mumbai, IN",
    "Sydney, AU",
    "Reykjavík, IS",
)
"""Where the demo sessions come from."""
IDPS = ("google", "apple", "okta")
"""External identity providers accounts are linked to."""

STORIES: tuple[dict[str, Any], ...] = (
    {
        "given": "Barbara",
        "family": "Jensen",
        "user_name": "bjensen",
        "organization": "Acme",
        "role": "billing-admin",
        "groups": ("beta testers",),
        "created_days_ago": 45,
        "last_login_days_ago": 1,
        "failed_password": 5,
        "emails": (
            ("bjensen@example.org", "work", True),
            ("barbara.jensen@example.com", "work", False),
        ),
    },
    {
        "given": "Søren",
        "family": "Østergaard",
        "user_name": "soren.ostergaard",
        "organization": None,
        "role": None,
        "groups": (),
        "created_days_ago": 400,
        "last_login_days_ago": None,
        "failed_password": 0,
        "emails": (("soren.ostergaard@example.net", "home", False),),
    },
)
"""The demo's first accounts, fixed whatever the seed: what the README's examples find."""
