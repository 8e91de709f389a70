"""The tile grid on its own: fitting, pressing, and pages when a menu cannot fit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QScrollBar
from pytestqt.qtbot import QtBot

from kiosk.models.screens import Choice, ChoiceKind
from kiosk.ui import theme
from kiosk.ui.app import ensure_fonts
from kiosk.ui.tiles import TileGrid


def choices(count: int, priority: bool = False) -> list[Choice]:
    return [Choice(ChoiceKind.SERVICE, f"S{number:02d}",
                   f"Thủ tục hành chính số {number} về đăng ký hộ tịch",
                   f"{number} người chờ · khoảng {number * 3} phút", None, priority, True)
            for number in range(count)]


def grid_of(qtbot: QtBot, width: int, height: int) -> TileGrid:
    ensure_fonts()
    grid = TileGrid(max_columns=3)
    qtbot.addWidget(grid)
    grid.resize(width, height)
    grid.set_metrics(theme.metrics_for(width, height))
    grid.show()
    return grid


def test_tiles_fit_and_report_presses(qtbot: QtBot) -> None:
    grid = grid_of(qtbot, 1080, 1500)
    pressed: list[str] = []
    priority: list[str] = []
    grid.chosen.connect(pressed.append)
    grid.secondary_chosen.connect(priority.append)
    grid.set_choices(choices(6, priority=True), secondary_label="Ưu tiên")
    assert grid.fit.pages == 1 and grid.fit.title_px >= 44
    for tile in grid.visible_tiles():
        needed = tile.height_needed()
        assert needed is not None and needed <= tile.height()
    main_tile, secondary = grid.tile("S03"), grid.secondary_tile("S04")
    assert main_tile is not None and secondary is not None
    QTest.mouseClick(main_tile, Qt.MouseButton.LeftButton)
    QTest.mouseClick(secondary, Qt.MouseButton.LeftButton)
    assert (pressed, priority) == (["S03"], ["S04"])


def test_a_menu_too_long_for_the_screen_gets_pages_not_scroll_bars(qtbot: QtBot) -> None:
    grid = grid_of(qtbot, 800, 600)
    grid.set_choices(choices(40), previous_text="‹ Trang trước", next_text="Trang sau ›",
                     page_text="Trang {page}/{pages}")
    pages = grid.fit.pages
    assert pages > 1
    assert grid.findChildren(QScrollBar) == []
    assert grid.page_label.text() == f"Trang 1/{pages}"
    assert not grid.previous_button.isEnabled() and grid.next_button.isEnabled()
    first = [tile.code for tile in grid.visible_tiles()]
    assert first[0] == "S00"
    for tile in grid.visible_tiles():
        needed = tile.height_needed()
        assert needed is not None and needed <= tile.height()
        assert tile.geometry().bottom() < grid.height() - grid.next_button.height()
    QTest.mouseClick(grid.next_button, Qt.MouseButton.LeftButton)
    second = [tile.code for tile in grid.visible_tiles()]
    assert second[0] == f"S{len(first):02d}" and grid.page_label.text() == f"Trang 2/{pages}"
    QTest.mouseClick(grid.previous_button, Qt.MouseButton.LeftButton)
    assert [tile.code for tile in grid.visible_tiles()] == first
    seen: set[str] = set()
    for _ in range(pages):
        seen.update(tile.code for tile in grid.visible_tiles())
        grid.next_button.click()
    assert seen == {choice.code for choice in choices(40)}
