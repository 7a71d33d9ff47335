"""Fixed words of the outcome that no pack supplies: the urgency levels and the test card's values.

The web pages, the case notes and the what-if comparison show them as the outcome does; they are
re-exported by ``app.engine``.
"""

from __future__ import annotations

URGENCY_LABELS: dict[int, str] = {1: "Act now", 2: "Today", 3: "Within days", 4: "Routine"}
"""Each urgency level (1, the most urgent, to 4) as the plan shows it."""

ELEMENT_WORDS: dict[str | None, str] = {
    "met": "met",
    "not_met": "not met",
    "unknown": "unknown",
    "not_required": "not required",
    "not_assessed": "not assessed",
    None: "not known yet",
}
"""Each test card value (None: not known yet) in words."""
