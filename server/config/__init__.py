"""Deployment configuration: a TOML document validated by one set of models into frozen
typed settings, and written back.

models (the tables) and values (their value types) hold the rules; formats reads and writes
the small text formats; loader reads a file or a document (parse_settings, parse_site);
translate turns pydantic's errors into ConfigError keys and reasons; document and
toml_writer write the settings back (the export); secret keeps a generated server secret.
"""

from server.config.document import settings_document, site_document
from server.config.errors import ConfigError, Problem
from server.config.loader import load_settings, parse_settings, parse_site
from server.config.models import SiteContext
from server.config.secret import ensure_secret
from server.config.settings import (
    CallOrder,
    CounterSettings,
    FieldSettings,
    NumberFormat,
    NumberGroup,
    OfficerSettings,
    PriorityGroup,
    PriorityPolicy,
    PriorityPolicyKind,
    RatingLabel,
    Role,
    ServerSettings,
    ServiceKind,
    ServiceSettings,
    Settings,
    SiteSettings,
    TokenSettings,
    ZoneSettings,
)
from server.config.toml_writer import toml_text

__all__ = [
    "CallOrder",
    "ConfigError",
    "CounterSettings",
    "FieldSettings",
    "NumberFormat",
    "NumberGroup",
    "OfficerSettings",
    "PriorityGroup",
    "PriorityPolicy",
    "PriorityPolicyKind",
    "Problem",
    "RatingLabel",
    "Role",
    "ServerSettings",
    "ServiceKind",
    "ServiceSettings",
    "Settings",
    "SiteContext",
    "SiteSettings",
    "TokenSettings",
    "ZoneSettings",
    "ensure_secret",
    "load_settings",
    "parse_settings",
    "parse_site",
    "settings_document",
    "site_document",
    "toml_text",
]
