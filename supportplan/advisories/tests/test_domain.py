"""Targeting rule as a table: every dimension the advisory names must match."""

import pytest

from supportplan.advisories.domain import CloudAccount, Profile, Scope, SoftwareRange, match

HUAWEI_BJ = CloudAccount("huawei", frozenset({"cn-north-4"}))
HUAWEI_UNKNOWN = CloudAccount("huawei")
TENCENT_GZ = CloudAccount("tencent", frozenset({"ap-guangzhou"}))
SSH = (SoftwareRange("OpenSSH", "<9.8"),)


@pytest.mark.parametrize(
    "scope,profile,matched,reasons",
    [
        (Scope(), Profile(), True, ("all tenants",)),
        (
            Scope(clouds=frozenset({"huawei"})),
            Profile(accounts=(HUAWEI_BJ,)),
            True,
            ("cloud:huawei",),
        ),
        (Scope(clouds=frozenset({"huawei"})), Profile(accounts=(TENCENT_GZ,)), False, ()),
        # a registered system on the cloud counts even without an account
        (
            Scope(clouds=frozenset({"huawei"})),
            Profile(system_clouds=frozenset({"huawei"})),
            True,
            ("cloud:huawei",),
        ),
        (
            Scope(clouds=frozenset({"huawei"}), regions=frozenset({"cn-north-4"})),
            Profile(accounts=(HUAWEI_BJ, TENCENT_GZ)),
            True,
            ("cloud:huawei", "region:cn-north-4"),
        ),
        (
            Scope(clouds=frozenset({"huawei"}), regions=frozenset({"cn-south-1"})),
            Profile(accounts=(HUAWEI_BJ,)),
            False,
            (),
        ),
        # regions not recorded: counted as affected
        (
            Scope(clouds=frozenset({"huawei"}), regions=frozenset({"cn-south-1"})),
            Profile(accounts=(HUAWEI_UNKNOWN,)),
            True,
            ("cloud:huawei", "region:unknown"),
        ),
        # the region must be on a named cloud's account
        (
            Scope(clouds=frozenset({"huawei"}), regions=frozenset({"ap-guangzhou"})),
            Profile(accounts=(HUAWEI_BJ, TENCENT_GZ)),
            False,
            (),
        ),
        (
            Scope(software=SSH),
            Profile(software=(("openssh", "9.3"),)),
            True,
            ("software:openssh 9.3",),
        ),
        (Scope(software=SSH), Profile(software=(("OpenSSH", "9.8"),)), False, ()),
        (
            Scope(software=SSH),
            Profile(software=(("OpenSSH", "9.3p1"),)),
            True,
            ("software:OpenSSH 9.3p1",),
        ),
        # what `ssh -V` prints for a patched server is not affected
        (Scope(software=SSH), Profile(software=(("OpenSSH", "9.8p1"),)), False, ()),
        (Scope(software=SSH), Profile(software=(("OpenSSH", "OpenSSH_9.9p1"),)), False, ()),
        (
            Scope(software=(SoftwareRange("MySQL", "<5.7.45"),)),
            Profile(software=(("MySQL", "5.7.44-log"),)),
            True,
            ("software:MySQL 5.7.44-log",),
        ),
        (
            Scope(software=(SoftwareRange("MariaDB", "<10.11.6"),)),
            Profile(software=(("MariaDB", "10.11.6-MariaDB"),)),
            False,
            (),
        ),
        (
            Scope(software=(SoftwareRange("OpenSSL", "<1.1.1x"),)),
            Profile(software=(("OpenSSL", "1.1.1w"),)),
            True,
            ("software:OpenSSL 1.1.1w",),
        ),
        (Scope(software=SSH), Profile(software=(("nginx", "1.20"),)), False, ()),
        (
            Scope(software=(SoftwareRange("MySQL", "==5.7.*"), SoftwareRange("nginx"))),
            Profile(software=(("mysql", "5.7.44"), ("nginx", "1.24.0"))),
            True,
            ("software:mysql 5.7.44, nginx 1.24.0",),
        ),
        # every named dimension must match: right cloud, wrong software
        (
            Scope(clouds=frozenset({"huawei"}), software=SSH),
            Profile(accounts=(HUAWEI_BJ,), software=(("OpenSSH", "9.9"),)),
            False,
            (),
        ),
    ],
)
def test_match(scope, profile, matched, reasons):
    result = match(scope, profile)
    assert (result.matched, result.reasons) == (matched, reasons)


@pytest.mark.parametrize(
    "version,unknown",
    [("", ("Open-SSH ?",)), ("latest", ("Open-SSH latest",))],
)
def test_unjudgeable_version_is_unknown_never_affected(version, unknown):
    result = match(Scope(software=SSH), Profile(software=(("Open-SSH", version),)))
    assert (result.matched, result.reasons, result.unknown) == (False, (), unknown)


def test_unknown_listed_beside_a_match():
    result = match(Scope(software=SSH), Profile(software=(("OpenSSH", "9.3p1"), ("OpenSSH", ""))))
    assert (result.matched, result.reasons, result.unknown) == (
        True,
        ("software:OpenSSH 9.3p1",),
        ("OpenSSH ?",),
    )
