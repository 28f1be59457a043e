"""The product's one version grammar, on version strings as real tools print them."""

import pytest

from supportplan.catalog.versions import (
    InvalidSpecifier,
    compare_installed,
    in_range,
    parse_installed,
    parse_range,
)


@pytest.mark.parametrize(
    "text,epoch,upstream,revision",
    [
        ("8.9p1", None, "8.9p1", ""),
        ("OpenSSH_9.7p1", None, "9.7p1", ""),
        ("1.1.1w", None, "1.1.1w", ""),
        ("3.0.13", None, "3.0.13", ""),
        ("5.7.44-log", None, "5.7.44", ""),
        ("10.11.6-MariaDB", None, "10.11.6", ""),
        ("1:9.2p1-2+deb12u3", 1, "9.2p1", "2+deb12u3"),
        ("5.15.0-91-generic", None, "5.15.0", "91"),
        ("nginx/1.24.0", None, "1.24.0", ""),
        ("2.36~rc1-1", None, "2.36~rc1", "1"),
    ],
)
def test_parse_installed(text, epoch, upstream, revision):
    v = parse_installed(text)
    assert v is not None
    assert (v.epoch, v.upstream, v.revision) == (epoch, upstream, revision)


@pytest.mark.parametrize("text", ["", None, "latest", "unknown", "n/a"])
def test_no_version_at_all(text):
    assert parse_installed(text) is None


@pytest.mark.parametrize(
    "a,b,order",
    [
        ("9.7p1", "9.8p1", -1),
        ("9.8p1", "9.8p1", 0),
        ("9.8p1", "9.8", 1),
        ("8.9p1", "9.8", -1),
        ("1.1.1w", "1.1.1x", -1),
        ("1.1.1w", "1.1.2", -1),
        ("1.1.1w", "3.0.13", -1),
        ("3.0.13", "3.0.2", 1),
        ("5.7.44-log", "5.7.44", 0),
        ("10.11.6-MariaDB", "10.11.7", -1),
        ("2.36~rc1-1", "2.36", -1),
        ("1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u2", 1),
        ("1:9.2p1-2+deb12u3", "2:1.0", -1),
        # an epoch on one side only: the upstream releases are compared
        ("1:9.2p1-2+deb12u3", "9.8p1", -1),
        ("5.15.0-91-generic", "5.15.0-92-generic", -1),
        ("5.15.0-91-generic", "5.15.1", -1),
        ("1.24.0", "1.25", -1),
    ],
)
def test_compare_installed(a, b, order):
    assert compare_installed(parse_installed(a), parse_installed(b)) == order


CVE_2024_6387 = ">=8.5p1,<9.8p1"


@pytest.mark.parametrize(
    "versions,version,verdict",
    [
        (CVE_2024_6387, "8.9p1", True),
        (CVE_2024_6387, "9.7p1", True),
        (CVE_2024_6387, "OpenSSH_9.7p1", True),
        (CVE_2024_6387, "9.8p1", False),
        (CVE_2024_6387, "8.4p1", False),
        (CVE_2024_6387, "", None),
        (CVE_2024_6387, "unknown", None),
        ("<9.8", "9.8p1", False),
        ("<9.8", "9.7p1", True),
        ("<1.1.1x", "1.1.1w", True),
        ("<3.0.14", "3.0.13", True),
        ("==5.7.*", "5.7.44-log", True),
        ("==5.7.*", "5.6.51", False),
        ("==5.7.44", "5.7.44-log", True),
        ("!=5.7.44", "5.7.44-log", False),
        ("<10.11.7", "10.11.6-MariaDB", True),
        (">=5.15,<5.15.0-100", "5.15.0-91-generic", True),
        ("<1.25", "1.24.0", True),
        ("1.24.0", "1.24.0", True),
        ("", "", True),
    ],
)
def test_in_range(versions, version, verdict):
    assert in_range(parse_range(versions), version) is verdict


@pytest.mark.parametrize("versions", ["<", "<=abc", "~=1.2", ">5.*", "9.8 and 9.9"])
def test_bad_range(versions):
    with pytest.raises(InvalidSpecifier):
        parse_range(versions)
