"""The Jinja environment of the pages built from ``map_ui/templates``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape


@cache
def environment() -> Environment:
    """Templates of ``map_ui/templates``, HTML autoescaped."""
    folder = str(resources.files("map_ui") / "templates")
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(default=True))
