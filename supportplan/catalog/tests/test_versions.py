"""Version specifiers as the seeds write them (SPEC §1.3)."""

import pytest

from supportplan.catalog.versions import InvalidSpecifier, Specifier, tokens


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        # partner OpenVPN "> 2.1"
        (">2.1", "2.3", True),
        (">2.1", "2.1", False),
        (">2.1", "2.1.5", True),
        (">2.1", "2.0.9", False),
        (">2.1", "v2.4.12", True),
        # Tencent OpenVPN "≥ 2.4"
        (">=2.4", "2.4", True),
        (">=2.4", "2.4.0", True),
        (">=2.4", "2.3.18", False),
        (">=2.4", "2.6.8", True),
        (">= 3.0", "3.0.2", True),
        (">=3.0", "2.3.2", False),
        ("<2", "1.9", True),
        ("<=2", "2.0", True),
        ("==0.9.60.2", "0.9.60.2", True),
        ("==0.9.60.2", "0.9.60", False),  # 0.9.60 pads to 0.9.60.0
        # partner MySQL "5.x"
        ("5.x", "5.7.33", True),
        ("5.x", "5.5", True),
        ("5.x", "8.0", False),
        ("5.x", "50.1", False),
        # Tencent MySQL 5.6 / 5.7: a release line
        ("5.6", "5.6", True),
        ("5.6", "5.6.51", True),
        ("5.7", "5.7.44-log", True),
        ("5.7", "5.8", False),
        ("5.7", "8.0", False),
        ("5.6", "5", False),
        # "2.2+", "1.8+", "7.0+"
        ("2.2+", "2.2", True),
        ("2.2+", "2.4.58", True),
        ("2.2+", "2.0.65", False),
        ("1.8+", "1.18.0", True),
        ("1.8+", "1.6.3", False),
        ("7.0+", "10.0", True),
        ("7.0+", "6.0", False),
        # SQL Server
        ("2008 R2 SP3", "2008 R2 SP3", True),
        ("2008 R2 SP3", "2008 r2 sp3", True),
        ("2008 R2 SP3", "2008 R2 Service Pack 3", True),
        ("2008 R2 SP3", "2008R2 SP3", True),
        ("2008 R2 SP3", "2008 R2 SP2", False),
        ("2008 R2 SP3", "2008 R2", False),
        ("2008 R2 SP3", "2008", False),
        ("2012 SP3", "2012 SP3", True),
        ("2012 SP3", "2012 SP4", False),
        ("2016", "2016", True),
        ("2016", "2016 SP2", True),
        ("2016", "2019", False),
        ("2008", "2008 R2 SP3", True),  # partner "2008": the 2008 line, R2 included
        ("2008", "2012", False),
        # native tools
        ("*", None, True),
        ("*", "anything", True),
        # no version given
        (">2.1", None, False),
        ("5.x", "", False),
        ("2016", "  ", False),
    ],
)
def test_specifier_matches(spec, version, expected):
    assert Specifier.parse(spec).matches(version) is expected


@pytest.mark.parametrize(
    "bad", ["", "~2.4", ">>2", "2.4-", "x.5", "latest", "5.x.1", ">=", "2008 R2 SP", "=>2.4"]
)
def test_bad_specifiers_are_refused(bad):
    with pytest.raises(InvalidSpecifier):
        Specifier.parse(bad)


def test_non_string_specifier_is_refused():
    with pytest.raises(InvalidSpecifier):
        Specifier.parse(5.6)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2008 R2 SP3", ("2008", "r2", "sp3")),
        ("2008 R2 Service Pack 3", ("2008", "r2", "sp3")),
        ("5.7.33-log", ("5", "7", "33", "log")),
        ("SP 2", ("sp2",)),
    ],
)
def test_tokens(version, expected):
    assert tokens(version) == expected
