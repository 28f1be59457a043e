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
            Profile(software=(("Open-SSH", ""),)),
            True,
            ("software:Open-SSH ? (version unknown)",),
        ),
        (
            Scope(software=SSH),
            Profile(software=(("OpenSSH", "9.3p1"),)),
            True,
            ("software:OpenSSH 9.3p1 (version unknown)",),
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
