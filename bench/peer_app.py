"""Bare Starlette app: the raw-limit peer that bench/http_baseline.py compares against."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

PAGE = "<!doctype html><html lang=en><title>hello</title><p>hello</p></html>"


async def healthz(_request: Request) -> JSONResponse:
    """A constant JSON body shaped like the platform's /healthz."""
    return JSONResponse({"status": "ok", "version": "0.0.0"})


async def home(_request: Request) -> HTMLResponse:
    """A constant HTML page: no template, no session, no database."""
    return HTMLResponse(PAGE)


app = Starlette(routes=[Route("/healthz", healthz), Route("/", home)])
