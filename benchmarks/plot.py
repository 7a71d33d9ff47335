"""Plot latency against concurrency from `bench_http.py`'s JSON: Pathway and the floor, p50 and p99.

    .venv/bin/python benchmarks/plot.py [var/bench-http.json] [docs/performance-latency.png]

Needs matplotlib (the `bench` extra: pip install -e '.[bench]').
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
TITLES = {
    "assess": "POST /api/v2/assess (whole case)",
    "assess500": "POST /api/v2/assess (500 cases in turn)",
    "step": "Questionnaire step (POST, 303)",
    "outcome": "Outcome page (GET)",
}
COLOURS = {"pathway": "#1d70b8", "floor": "#6f777b"}
P99_GOALS_MS = {"assess": 15, "assess500": 15, "step": 25}  # at 8 connections (issue 5)


def plot(results: dict[str, Any], out: Path) -> None:
    names = [n for n in TITLES if n in results["requests"]]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4.4), squeeze=False)
    axes = axes[0]
    for ax, name in zip(axes, names, strict=True):
        rows = results["requests"][name]
        for side in ("pathway", "floor"):
            xs = [r["connections"] for r in rows[side]]
            label = "Pathway" if side == "pathway" else "FastAPI floor"
            ax.plot(xs, [r["p50_ms"] for r in rows[side]], "o-", color=COLOURS[side], label=f"{label} p50")
            ax.plot(xs, [r["p99_ms"] for r in rows[side]], "s--", color=COLOURS[side], label=f"{label} p99")
        if name in P99_GOALS_MS:
            ax.axhline(P99_GOALS_MS[name], color="#d4351c", linestyle=":", linewidth=1)
            ax.annotate(f"goal: p99 <= {P99_GOALS_MS[name]} ms at 8", (8, P99_GOALS_MS[name]), fontsize=8,
                        color="#d4351c", xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log", base=2)
        ax.set_xticks([r["connections"] for r in rows["pathway"]])
        ax.set_xticklabels([str(r["connections"]) for r in rows["pathway"]])
        ax.set_yscale("log")
        ax.set_title(TITLES[name], fontsize=11)
        ax.set_xlabel("concurrent connections (wrk)")
        ax.set_ylabel("latency (ms, log scale)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    m = results["machine"]
    load = " to ".join(f"{results[k][0]:.1f}" for k in ("loadavg_before", "loadavg_after") if k in results) or "?"
    fig.suptitle(f"Pathway and a bare FastAPI app (the floor), one uvicorn worker each, wrk on loopback\n"
                 f"{m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, uvicorn {m['uvicorn']}; "
                 f"load average {load}", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else ROOT / "var" / "bench-http.json"
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "performance-latency.png"
    plot(json.loads(source.read_text()), out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
