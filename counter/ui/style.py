"""Colours and the style sheet of the counter terminal."""

from __future__ import annotations

from counter.requests import Action

HEADER_COLOUR = "#0b3d91"
ERROR_COLOUR = "#b71c1c"
INFO_COLOUR = "#1b5e20"

ACTION_COLOURS: dict[Action, str] = {
    Action.CALL_NEXT: "#2e7d32",
    Action.RECALL: "#1565c0",
    Action.CALL_NUMBER: "#1565c0",
    Action.START: "#00838f",
    Action.NO_SHOW: "#ef6c00",
    Action.FINISH: "#283593",
    Action.TRANSFER: "#6a1b9a",
    Action.PAUSE: "#546e7a",
    Action.RESUME: "#2e7d32",
    Action.LOG_OUT: "#78909c",
}

RATING_COLOURS = ("#2e7d32", "#7cb342", "#f9a825", "#e53935", "#8e24aa", "#546e7a")
"""Rating buttons, best label first."""

STYLE_SHEET = f"""
QWidget {{ font-family: "DejaVu Sans", "Segoe UI", sans-serif; font-size: 15px; }}
QMainWindow, #workPage, #loginPage {{ background: #eef2f7; }}
#header {{ background: {HEADER_COLOUR}; }}
#header QLabel {{ color: white; }}
#siteName {{ font-size: 15px; }}
#counterTitle {{ font-size: 22px; font-weight: bold; }}
#connectionOnline {{ color: #b9f6ca; font-weight: bold; }}
#connectionOffline {{ color: #ffcc80; font-weight: bold; }}
#languageButton {{ background: transparent; color: white; border: 1px solid #90caf9;
                   border-radius: 4px; padding: 4px 10px; }}
#panel {{ background: white; border: 1px solid #cfd8dc; border-radius: 8px; }}
#panelTitle {{ color: #455a64; font-size: 16px; font-weight: bold; }}
#ticketNumber {{ color: {HEADER_COLOUR}; font-size: 112px; font-weight: bold; }}
#ticketNumberIdle {{ color: #90a4ae; font-size: 40px; font-weight: bold; }}
#ticketStatus {{ color: white; background: #2e7d32; border-radius: 6px; padding: 4px 12px;
                 font-size: 18px; font-weight: bold; }}
#ticketService {{ font-size: 20px; font-weight: bold; color: #263238; }}
#ticketDetail {{ font-size: 16px; color: #37474f; }}
#priorityMark {{ color: #c62828; font-size: 17px; font-weight: bold; }}
QPushButton {{ border-radius: 6px; padding: 6px 10px; }}
QPushButton#actionButton {{ color: white; font-size: 17px; font-weight: bold; min-height: 52px; }}
QPushButton#actionButton:disabled {{ background: #cfd8dc; color: #90a4ae; }}
QTableWidget {{ background: white; gridline-color: #eceff1; font-size: 15px; }}
QHeaderView::section {{ background: #eceff1; padding: 4px; border: none; font-weight: bold; }}
#figureLabel {{ color: #546e7a; }}
#figureValue {{ font-weight: bold; color: #263238; }}
#loginBox {{ background: white; border: 1px solid #cfd8dc; border-radius: 10px; }}
#loginTitle {{ font-size: 28px; font-weight: bold; color: {HEADER_COLOUR}; }}
#loginButton {{ background: {HEADER_COLOUR}; color: white; font-size: 18px; font-weight: bold;
                min-height: 44px; }}
#loginButton:disabled {{ background: #90a4ae; }}
QLineEdit, QComboBox {{ min-height: 34px; font-size: 17px; padding: 2px 6px; }}
QListWidget {{ font-size: 17px; }}
QListWidget::item {{ padding: 6px 4px; border-bottom: 1px solid #eceff1; }}
QListWidget::item:selected {{ background: {HEADER_COLOUR}; color: white; }}
QRadioButton {{ font-size: 17px; padding: 4px 0; }}
QDialog {{ background: #fafafa; }}
QDialogButtonBox QPushButton {{ background: #eceff1; border: 1px solid #b0bec5; min-width: 110px;
                                min-height: 38px; font-size: 16px; }}
QDialogButtonBox QPushButton:default {{ background: {HEADER_COLOUR}; color: white;
                                        border: none; font-weight: bold; }}
QDialogButtonBox QPushButton:disabled {{ background: #cfd8dc; color: #90a4ae; }}
#ratingScreen {{ background: #f5f9ff; }}
#ratingTitle {{ font-size: 30px; font-weight: bold; color: {HEADER_COLOUR}; }}
#ratingTicket {{ font-size: 22px; color: #37474f; }}
#ratingRemaining {{ font-size: 18px; color: #546e7a; }}
#ratingMessage {{ font-size: 30px; font-weight: bold; color: {INFO_COLOUR}; }}
QPushButton#ratingButton {{ color: white; font-size: 24px; font-weight: bold; min-height: 120px;
                            border-radius: 12px; }}
QPushButton#ratingButton:disabled {{ background: #cfd8dc; color: #90a4ae; }}
"""


PASSWORD_PROBLEM_STYLE = (f"QLabel {{ color: {ERROR_COLOUR}; background: #ffebee; "
                          "border-radius: 4px; padding: 6px 10px; font-size: 16px; "
                          "font-weight: bold; }")
"""The reason the password dialog cannot send what was typed."""
PASSWORD_BUTTON_STYLE = ("QPushButton#actionButton:enabled { background: white; color: "
                         f"{HEADER_COLOUR}; border: 2px solid {HEADER_COLOUR}; }}")
"""The change-password button: beside log out, quieter than the counter's actions."""

NOTICE_ERROR_STYLE = (f"QLabel {{ background: #ffebee; color: {ERROR_COLOUR}; "
                      f"border: 2px solid {ERROR_COLOUR}; border-radius: 6px; padding: 8px 12px; "
                      "font-size: 18px; font-weight: bold; }")
NOTICE_INFO_STYLE = (f"QLabel {{ background: #e8f5e9; color: {INFO_COLOUR}; "
                     "border: 2px solid #66bb6a; border-radius: 6px; padding: 8px 12px; "
                     "font-size: 16px; }")
"""The notice line's two looks (set on the label itself, so its size follows the padding)."""


def action_button_style(action: Action) -> str:
    """Per-button background (the shared look is in the style sheet)."""
    return f"QPushButton#actionButton:enabled {{ background: {ACTION_COLOURS[action]}; }}"
