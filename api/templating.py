"""Jinja templates of the API's own pages, autoescaped."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape


@cache
def templates() -> Jinja2Templates:
    """The template set, with autoescape on for every HTML template."""
    folder = str(resources.files("api") / "templates")
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(default=True))
    return Jinja2Templates(env=env)
