"""A throwaway OpenLDAP server for tests and benchmarks (Debian's ``slapd``).

:class:`Slapd` writes its own ``cn=config`` with ``slapadd`` into a temporary directory (mdb
database, schemas core / cosine / inetorgperson / nis, indexes on the searched attributes),
starts ``slapd`` on a free local port, and can be stopped (or killed) and started again on the
same port and data (to test reconnects and lost answers).

With ``overlays=True`` (the default) it loads memberof, refint, ppolicy, sssvlv and accesslog
from ``/usr/lib/ldap``, holds a default password policy with lockout, and logs binds, writes and
extended operations (failed ones too) to a second database, :data:`ACCESSLOG_SUFFIX`, that the
service account may read. With ``overlays=False`` it is a plain directory: no overlay at all
(no memberOf, no ppolicy attributes, no sort control, only Simple Paged Results), plus a small
test schema defining 389-DS's ``nsAccountLock`` and an auxiliary class ``idcLockable`` allowing
it, to test flag-attribute status. Both hold the
auxiliary class ``idcKitPerson`` and its attributes (``idcLoyaltyTier``, ``idcLoyaltyPoints``,
...), where the conformance kit's custom attributes live.

The directory holds a manager entry (the ``rootdn``), a service account
``cn=idconnect,ou=services,<suffix>`` with ``manage`` rights and a size limit of 500 (paged
searches are unlimited: ``size.prtotal=unlimited``).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["ACCESSLOG_SUFFIX", "SLAPD", "Slapd", "slapd_available"]

SLAPD = "/usr/sbin/slapd"
"""Where Debian installs the server."""
ACCESSLOG_SUFFIX = "cn=accesslog"
"""Where the overlay configuration's access log (slapo-accesslog) keeps its records."""
_SLAPADD = "/usr/sbin/slapadd"
_MODULES = "/usr/lib/ldap"
_SCHEMAS = "/etc/ldap/schema"
_TEST_SCHEMA = """
dn: cn=idctest,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: idctest
olcAttributeTypes: ( 2.16.840.1.113730.3.1.610 NAME 'nsAccountLock'
  DESC '389-DS: TRUE when the account is locked' EQUALITY caseIgnoreMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.99999.1.1 NAME 'idcLockable' SUP top AUXILIARY
  MAY nsAccountLock )
"""
_DS = "SYNTAX 1.3.6.1.4.1.1466.115.121.1.15"
_KIT_SCHEMA = f"""
dn: cn=idckit,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: idckit
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.1 NAME 'idcLoyaltyTier' EQUALITY caseIgnoreMatch
  ORDERING caseIgnoreOrderingMatch SUBSTR caseIgnoreSubstringsMatch {_DS} SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.2 NAME 'idcLoyaltyPoints' EQUALITY integerMatch
  ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.3 NAME 'idcBalance' EQUALITY caseIgnoreMatch
  {_DS} SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.4 NAME 'idcMemberSince' EQUALITY generalizedTimeMatch
  ORDERING generalizedTimeOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.5 NAME 'idcNewsletter' EQUALITY booleanMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.6 NAME 'idcProfileUrl' EQUALITY caseExactIA5Match
  SUBSTR caseExactIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.7 NAME 'idcInterests' EQUALITY caseIgnoreMatch
  SUBSTR caseIgnoreSubstringsMatch {_DS} )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.8 NAME 'idcInternalNote' EQUALITY caseIgnoreMatch
  {_DS} SINGLE-VALUE )
olcAttributeTypes: ( 1.3.6.1.4.1.99999.2.9 NAME 'idcAccountCode' EQUALITY caseExactMatch
  SUBSTR caseExactSubstringsMatch {_DS} SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.99999.1.2 NAME 'idcKitPerson' SUP top AUXILIARY
  MAY ( idcLoyaltyTier $ idcLoyaltyPoints $ idcBalance $ idcMemberSince $ idcNewsletter $
  idcProfileUrl $ idcInterests $ idcInternalNote $ idcAccountCode ) )
"""
"""The conformance kit's custom attributes (``KIT_ATTRIBUTES``), allowed by ``idcKitPerson``."""


def slapd_available() -> bool:
    """Whether slapd, slapadd and the modules this runner loads are installed.

    :returns: ``True`` when a server can be started.
    """
    return all(
        Path(p).exists()
        for p in (SLAPD, _SLAPADD, f"{_MODULES}/ppolicy.la", f"{_MODULES}/sssvlv.la")
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Slapd:
    """One slapd process with its own config and database in a temporary directory.

    :param suffix: the database suffix.
    :param group_class: ``groupOfNames`` or ``groupOfUniqueNames`` (for the memberof overlay).
    :param member_attribute: ``member`` or ``uniqueMember``.
    :param manager_password: the rootdn's and the service account's password.
    :param overlays: load memberof, refint, ppolicy and sssvlv (else a plain directory).
    """

    def __init__(
        self,
        suffix: str = "dc=example,dc=org",
        *,
        group_class: str = "groupOfNames",
        member_attribute: str = "member",
        manager_password: str = "manager-secret",
        overlays: bool = True,
    ) -> None:
        self.suffix = suffix
        self.overlays = overlays
        self.root_dn = f"cn=admin,{suffix}"
        self.service_dn = f"cn=idconnect,ou=services,{suffix}"
        self.password = manager_password
        self.group_class = group_class
        self.member_attribute = member_attribute
        self.placeholder = f"cn=nobody,{suffix}"
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.directory = Path(tempfile.mkdtemp(prefix="idconnect-slapd-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._configure()

    @property
    def url(self) -> str:
        """The ``ldap://host:port`` URL the server listens on."""
        return f"ldap://{self.host}:{self.port}"

    def _config_ldif(self) -> str:
        d = self.directory
        s = self.suffix
        return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {d}/slapd.pid
olcArgsFile: {d}/slapd.args
olcLogLevel: none
olcSizeLimit: 500

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {_MODULES}
olcModuleLoad: back_mdb
{self._modules()}
dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://{_SCHEMAS}/core.ldif

include: file://{_SCHEMAS}/cosine.ldif

include: file://{_SCHEMAS}/inetorgperson.ldif

include: file://{_SCHEMAS}/nis.ldif
{_KIT_SCHEMA}{"" if self.overlays else _TEST_SCHEMA}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcAccess: {{0}}to * by * read

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {d}/db
olcSuffix: {s}
olcRootDN: {self.root_dn}
olcRootPW: {self.password}
olcDbMaxSize: 4294967296
olcDbNoSync: TRUE
olcLastBind: TRUE
olcLimits: {{0}}dn.exact="{self.service_dn}" size.soft=500 size.hard=500 size.prtotal=unlimited
olcAccess: {{0}}to attrs=userPassword by dn.exact="{self.service_dn}" manage
  by anonymous auth by self write by * none
olcAccess: {{1}}to * by dn.exact="{self.service_dn}" manage by * read
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
olcDbIndex: uid eq,sub
olcDbIndex: mail eq,sub
olcDbIndex: cn eq,sub
olcDbIndex: sn eq,sub
olcDbIndex: givenName eq,sub
olcDbIndex: displayName eq,sub
olcDbIndex: o eq
olcDbIndex: telephoneNumber eq,sub
olcDbIndex: member eq
olcDbIndex: uniqueMember eq
olcDbIndex: uidNumber eq
olcDbIndex: idcLoyaltyTier eq,sub
olcDbIndex: idcLoyaltyPoints eq
olcDbIndex: idcInterests eq,sub
{self._overlays()}"""

    def _modules(self) -> str:
        if not self.overlays:
            return ""
        modules = ("memberof", "refint", "ppolicy", "sssvlv", "accesslog")
        return "".join(f"olcModuleLoad: {m}\n" for m in modules)

    def _overlays(self) -> str:
        if not self.overlays:
            return ""
        s = self.suffix
        return f"""olcDbIndex: memberOf eq
olcDbIndex: pwdAccountLockedTime eq,pres

dn: olcDatabase={{2}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{2}}mdb
olcDbDirectory: {self.directory}/accesslog
olcSuffix: {ACCESSLOG_SUFFIX}
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcAccess: {{0}}to * by dn.exact="{self.service_dn}" read by * none
olcDbIndex: reqStart eq
olcDbIndex: reqDN eq
olcDbIndex: objectClass eq

dn: olcOverlay={{0}}memberof,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {{0}}memberof
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: {self.group_class}
olcMemberOfMemberAD: {self.member_attribute}
olcMemberOfMemberOfAD: memberOf

dn: olcOverlay={{1}}refint,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {{1}}refint
olcRefintAttribute: {self.member_attribute}
olcRefintNothing: {self.placeholder}

dn: olcOverlay={{2}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{2}}ppolicy
olcPPolicyDefault: cn=default,ou=policies,{s}
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: TRUE

dn: olcOverlay={{3}}sssvlv,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSssVlvConfig
olcOverlay: {{3}}sssvlv
olcSssVlvMax: 64
olcSssVlvMaxKeys: 4
olcSssVlvMaxPerConn: 16

dn: olcOverlay={{4}}accesslog,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcAccessLogConfig
olcOverlay: {{4}}accesslog
olcAccessLogDB: {ACCESSLOG_SUFFIX}
olcAccessLogOps: bind writes extended
olcAccessLogSuccess: FALSE
"""

    def _base_ldif(self) -> str:
        s = self.suffix
        first = s.split(",")[0].split("=")[1]
        policy = f"""
dn: ou=policies,{s}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{s}
objectClass: organizationalRole
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 5
pwdFailureCountInterval: 0
pwdLockoutDuration: 300
"""
        return f"""dn: {s}
objectClass: dcObject
objectClass: organization
dc: {first}
o: {first}

dn: ou=services,{s}
objectClass: organizationalUnit
ou: services

dn: {self.service_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: idconnect
userPassword: {self.password}
{policy if self.overlays else ""}"""

    def _configure(self) -> None:
        config_dir = self.directory / "slapd.d"
        config_dir.mkdir()
        (self.directory / "db").mkdir()
        (self.directory / "accesslog").mkdir()
        config = self.directory / "config.ldif"
        config.write_text(self._config_ldif())
        base = self.directory / "base.ldif"
        base.write_text(self._base_ldif())
        subprocess.run(
            [_SLAPADD, "-n", "0", "-F", str(config_dir), "-l", str(config)],
            check=True,
            capture_output=True,
        )
        self.load_ldif(base)

    def load_ldif(self, path: Path) -> None:
        """Add entries offline with ``slapadd -q`` (the server must be stopped).

        :param path: an LDIF file of entries under the suffix.
        :raises subprocess.CalledProcessError: when slapadd refuses the file.
        """
        subprocess.run(
            [
                _SLAPADD,
                "-q",
                "-b",
                self.suffix,
                "-F",
                str(self.directory / "slapd.d"),
                "-l",
                str(path),
            ],
            check=True,
            capture_output=True,
        )

    def start(self, timeout: float = 15.0) -> None:
        """Start slapd and wait until it accepts connections.

        A server already running is left as it is. One that does not come up in time is
        killed before the error is raised, so no slapd outlives its data directory.

        :param timeout: seconds to wait.
        :raises RuntimeError: when it does not come up.
        """
        if self._process is not None and self._process.poll() is None:
            return
        self._process = subprocess.Popen(
            [
                SLAPD,
                "-d",
                "0",
                "-h",
                f"ldap://{self.host}:{self.port}/",
                "-F",
                str(self.directory / "slapd.d"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"slapd exited with {self._process.returncode}: {err[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"slapd did not listen on {self.url} within {timeout}s")

    def stop(self) -> None:
        """Stop slapd (SIGTERM, then SIGKILL after 10 s) and wait for it to exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()

    def kill(self) -> None:
        """Kill slapd with SIGKILL (no shutdown: answers in flight are lost) and wait for it.

        :meth:`start` brings it back on the same port and data directory.
        """
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.kill()
        process.wait()
        if process.stderr:
            process.stderr.close()

    def close(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Slapd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
