"""A sample Vietnamese ticket, and a command that prints it to PNG files.

``python -m hardware.printer.sample docs/images`` writes ``ticket-80mm.png`` and
``ticket-58mm.png``: each ticket goes through the whole path (raster -> ESC/POS bytes ->
test renderer), so the pictures show what the printer receives.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hardware.printer.escpos_bytes import ticket_bytes
from hardware.printer.layout import PaperWidth, TicketContent
from hardware.printer.render import render_escpos

SAMPLE_FILE_NAMES = {PaperWidth.MM80: "ticket-80mm.png", PaperWidth.MM58: "ticket-58mm.png"}


def sample_content() -> TicketContent:
    """A realistic priority ticket whose text uses the hard Vietnamese letters and all tones."""
    return TicketContent(
        centre_name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ngãi",
        service_name="Đăng ký khai sinh – Ưu tiên người cao tuổi ở Quảng Ngãi",
        number="A012",
        people_ahead=7,
        eta_minutes=25,
        issued_at=datetime(2025, 11, 22, 8, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        counters=("Quầy 1", "Quầy 3"),
        status_url="https://hcc.quangngai.gov.vn/ve/A012?d=20251122&k=7Q4XZ",
        footer="Vui lòng giữ phiếu và chú ý màn hình, loa gọi số.\nXin cảm ơn quý khách!",
        priority_label="Ưu tiên: Người cao tuổi",
    )


def write_samples(directory: Path) -> list[Path]:
    """Render :func:`sample_content` on both paper widths into ``directory``; return paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for paper, name in SAMPLE_FILE_NAMES.items():
        job = render_escpos(ticket_bytes(sample_content(), paper), width_dots=paper.dots)
        path = directory / name
        job.image.save(path, format="PNG")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="folder for the PNG files")
    arguments = parser.parse_args(argv)
    for path in write_samples(arguments.directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
