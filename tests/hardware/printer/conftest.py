"""Fixtures for the ticket-printer tests."""

from __future__ import annotations

import pytest

from hardware.printer.layout import TicketContent
from hardware.printer.sample import sample_content


@pytest.fixture
def content() -> TicketContent:
    """A Vietnamese priority ticket using the hard letters and all five tones."""
    return sample_content()
