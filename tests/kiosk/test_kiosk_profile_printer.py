"""A running kiosk's printer and paper follow its profile (offscreen Qt, a real server, the
administration's own form): a printer URL and a paper width saved on the kiosk's device token
reach the kiosk through ``config.changed`` and the next ticket's ESC/POS bytes go to the new
printer (a virtual printer's folder), laid out for the new paper; a printer that cannot be
opened is reported as a printer error and the old one keeps printing; the profile taken back
gives the kiosk its own printer and paper again. Each ticket is touched on the real widgets
and read back from the bytes the printer received."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageOps
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton
from support.servers import SITE, site_config
from support.web import WebClient, form_token, with_accounts

from hardware.printer import PaperWidth, TicketStyle
from hardware.printer.raster import number_font
from hardware.printer.render import RenderedJob, find_subimage, render_escpos
from kiosk.models.screens import Screen
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.printing import PrinterReport
from kiosk.ui.app import KioskApp
from server.app.serve import RunningServer
from server.config import Settings, parse_settings

Until = Callable[..., Awaitable[None]]
MakeKiosk = Callable[..., KioskApp]


@pytest.fixture
def settings() -> Settings:
    return parse_settings(with_accounts(site_config()))


def click(button: QAbstractButton | None) -> None:
    assert button is not None and button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


async def change_profile(server: RunningServer, **profile: str) -> None:
    """Save the kiosk token's profile on the administration pages, as an administrator."""
    client = WebClient(server.http_url)
    signed_in = await client.sign_in(user="quantri", next_page="/admin")
    assert signed_in.status == 200, signed_in.body[:300]
    page = await client.get(f"/admin/site/{SITE}/tokens/kiosk")
    answer = await client.post(f"/admin/site/{SITE}/tokens/kiosk",
                               {"csrf": form_token(page.body), **profile})
    assert answer.status == 200 and "saved=" in answer.url, answer.body[:800]


async def print_ticket(kiosk: KioskApp, until: Until, folder: Path, job: int) -> RenderedJob:
    """Touch a birth registration ticket out of the kiosk and read back the ``job``-th job
    of the printer whose folder is ``folder``: its bytes, rendered."""
    await until(lambda: kiosk.model.connection is ConnectionState.ONLINE
                and kiosk.model.can_issue and kiosk.model.screen is Screen.HOME,
                "the kiosk ready on its home screen")
    click(kiosk.window.home_page.grid.tile("TP"))
    click(kiosk.window.procedures_page.grid.tile("HT"))
    await until(lambda: kiosk.model.screen is Screen.TICKET, "the ticket screen")
    picture = folder / f"job-{job:06d}.png"  # written once the bytes are
    await until(picture.exists, f"job {job} printed in {folder.name}")
    click(kiosk.window.ticket_page.button)
    return render_escpos((folder / f"job-{job:06d}.bin").read_bytes())


def number_printed(job: RenderedJob, number: str, paper: PaperWidth) -> bool:
    """``number``, drawn alone in the number font of a ticket laid out for ``paper``, is on
    the paper (a ticket for the other width draws it at another size)."""
    style = TicketStyle.for_paper(paper)
    font = number_font(number, style, paper.dots - 2 * style.margin)
    left, top, right, bottom = font.getbbox(number, mode="1", anchor="ls")
    alone = Image.new("1", (int(right - left) + 8, int(bottom - top) + 8), 1)
    ImageDraw.Draw(alone).text((4 - left, 4 - top), number, font=font, fill=0, anchor="ls")
    box = ImageOps.invert(alone.convert("L")).getbbox()
    assert box is not None
    return find_subimage(job.image, alone.crop(box)) is not None


def jobs_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("job-*.bin"))


async def test_the_next_ticket_goes_to_the_profiles_printer_on_its_paper(
        server: RunningServer, make_kiosk: MakeKiosk, until: Until, tmp_path: Path) -> None:
    own, front_desk = tmp_path / "tickets", tmp_path / "front-desk"
    kiosk = make_kiosk(server.ws_url)
    assert kiosk.settings.printer_url == f"virtual://{own.as_posix()}"
    reports: list[PrinterReport] = []
    kiosk.signals.printer_changed.connect(reports.append)

    # Its own printer and paper: 80 mm.
    first = await print_ticket(kiosk, until, own, 1)
    assert first.image.width == PaperWidth.MM80.dots and first.cuts
    assert number_printed(first, "A001", PaperWidth.MM80)

    # The front desk's printer on 58 mm paper, saved on the administration pages.
    front_desk_url = f"virtual://{front_desk.as_posix()}"
    await change_profile(server, printer=front_desk_url, paper_width="58")
    await until(lambda: kiosk.controller.printer_url == front_desk_url
                and kiosk.controller.paper is PaperWidth.MM58, "the profile applied")
    second = await print_ticket(kiosk, until, front_desk, 1)
    assert second.image.width == PaperWidth.MM58.dots and second.cuts
    assert number_printed(second, "A002", PaperWidth.MM58)
    assert not number_printed(second, "A002", PaperWidth.MM80)
    assert jobs_in(own) == ["job-000001.bin"]  # nothing more on the old printer

    # A printer that cannot be opened: said as a printer error, the front desk's kept.
    broken_url = "virtual:///proc/qms-no-such-printer"
    await change_profile(server, printer=broken_url, paper_width="58")
    await until(lambda: any(report.condition is PrinterCondition.ERROR
                            and broken_url in report.detail for report in reports),
                "the printer error reported")
    third = await print_ticket(kiosk, until, front_desk, 2)
    assert third.image.width == PaperWidth.MM58.dots
    assert number_printed(third, "A003", PaperWidth.MM58)

    # Taken back: the kiosk's own printer and paper again.
    await change_profile(server)
    await until(lambda: kiosk.controller.printer_url == kiosk.settings.printer_url
                and kiosk.controller.paper is PaperWidth.MM80, "the kiosk's own again")
    fourth = await print_ticket(kiosk, until, own, 2)
    assert fourth.image.width == PaperWidth.MM80.dots
    assert number_printed(fourth, "A004", PaperWidth.MM80)
    assert jobs_in(front_desk) == ["job-000001.bin", "job-000002.bin"]
