"""How `pathway verify` time grows with the size of the pack (`make bench`).

Synthetic packs two, four and eight times larger are made from the national pack by repeating
its questions and actions under new ids: each copy of a question keeps the original's
``ask_when`` (so the copies are asked exactly where the original is), and each copy of an action
reads the copies of the questions its original reads. Determinations and invariants are shared,
so copies of questions that only determinations read are rightly reported as pointless
("findings"): the point here is the time, which must still be spent on every check.
The baseline, measured in the same run, is the shipped pack (factor 1).
"""

from __future__ import annotations

import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.loader import load_rulebook  # noqa: E402
from app.engine.verifier import Verifier  # noqa: E402
from app.engine.yaml_source import parse_yaml  # noqa: E402

NATIONAL = ROOT / "pathway_rules" / "national"
LOCAL = ROOT / "pathway_rules" / "local" / "lewisham"


def _rename(node: Any, mapping: dict[str, str]) -> Any:
    """Rename question ids used as condition keys (and ``listed`` action ids) in a condition tree."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "listed" and isinstance(value, str):
                out[key] = mapping.get(value, value)
            else:
                out[mapping.get(key, key)] = _rename(value, mapping)
        return out
    if isinstance(node, list):
        return [_rename(item, mapping) for item in node]
    return node


def _plain(node: Any) -> Any:
    """Our YAML reader's values (yes and no stay words) as plain dicts and lists, for yaml.safe_dump."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def synthetic_pack(factor: int, dest: Path) -> Path:
    shutil.copytree(NATIONAL, dest / "national")
    shutil.copytree(LOCAL, dest / "local" / "lewisham")
    questions_file = dest / "national" / "questions.yaml"
    actions_file = dest / "national" / "actions.yaml"
    questions = _plain(parse_yaml(questions_file.read_text(), str(questions_file)))
    actions = _plain(parse_yaml(actions_file.read_text(), str(actions_file)))
    needs_questions = {"immediate_needs", "longer_term_needs"}
    originals = [q for q in questions["questions"] if not q.get("optional") and q["id"] not in needs_questions]
    for n in range(2, factor + 1):
        mapping = {q["id"]: f"{q['id']}_{n}" for q in originals}
        mapping.update({a["id"]: f"{a['id']}_{n}" for a in actions["actions"]})
        for q in originals:
            twin = copy.deepcopy(q)
            twin["id"] = mapping[q["id"]]
            questions["questions"].append(twin)
        for a in list(actions["actions"][:19]):
            twin = _rename(copy.deepcopy(a), mapping)
            twin["id"] = mapping[a["id"]]
            for key in ("due", "urgency", "reasons"):
                if key in a:
                    twin[key] = _rename(copy.deepcopy(a[key]), mapping)
            for reason in twin["reasons"]:
                for qid, new in mapping.items():
                    reason["text"] = reason["text"].replace("{" + qid + "}", "{" + new + "}")
            actions["actions"].append(twin)
    questions_file.write_text(yaml.safe_dump(questions, sort_keys=False, allow_unicode=True))
    actions_file.write_text(yaml.safe_dump(actions, sort_keys=False, allow_unicode=True))
    return dest


def main() -> int:
    print("pathway verify on synthetic packs (national + Lewisham); time is the median of 3 runs")
    print(f"{'factor':>6} {'questions':>9} {'actions':>7} {'states':>8} {'evaluations':>11} {'seconds':>8} "
          f"{'ratio':>6} {'findings':>8}")
    baseline = None
    for factor in (1, 2, 4, 8):
        with tempfile.TemporaryDirectory() as tmp:
            root = synthetic_pack(factor, Path(tmp))
            book = load_rulebook(root / "national", root / "local" / "lewisham")
            times = []
            report = None
            for _ in range(3):
                started = time.perf_counter()
                report = Verifier(book).run()
                times.append(time.perf_counter() - started)
            assert report is not None
            seconds = sorted(times)[1]
            baseline = baseline or seconds
            print(f"{factor:>6} {len(book.questions):>9} {len(book.actions):>7} {report.states:>8,} "
                  f"{report.evaluations:>11,} {seconds:>8.2f} {seconds / baseline:>6.2f} {len(report.violations):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
