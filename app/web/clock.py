"""Today's date, as a FastAPI dependency: read per request (a server runs for days), and replaceable
in tests (``app.dependency_overrides[today] = ...``) without touching the system clock."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends


async def today() -> dt.date:
    """The date now, for this request."""
    return dt.date.today()


Today = Annotated[dt.date, Depends(today)]
