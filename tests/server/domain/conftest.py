"""Fixtures for the pure queue rules: the test site and a desk on a frozen clock."""

from __future__ import annotations

import pytest
from support.domain import Desk, build_site

from server.config import SiteSettings


@pytest.fixture(scope="session")
def site() -> SiteSettings:
    """The default test site (strict priority, no-shows re-queued, issued at any hour)."""
    return build_site()


@pytest.fixture
def desk(site: SiteSettings) -> Desk:
    """A fresh day at the test site, 08:00 on a Monday, Asia/Ho_Chi_Minh."""
    return Desk(site)
