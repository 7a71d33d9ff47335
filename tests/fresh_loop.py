"""Run a coroutine on a fresh event loop in its own thread.

Playwright's sync API keeps an event loop running in the main thread for the whole session once
the browser tests have run, and ``asyncio.run`` refuses to start inside a running loop. Tests that
drive the app or a server with asyncio use this, so they pass whatever ran before them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_fresh(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fresh-loop") as pool:
        return pool.submit(asyncio.run, coro).result()
