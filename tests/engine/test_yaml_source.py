"""The safe YAML reader: line numbers, YAML 1.2 scalars, and refusals of hostile or ambiguous documents,
each located at its line."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from app.engine.errors import PackProblem
from app.engine.yaml_source import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    PackProblemError,
    YList,
    YMap,
    line_of,
    parse_yaml,
)

FILE = "national/example.yaml"


def refused(text: str) -> PackProblem:
    with pytest.raises(PackProblemError) as caught:
        parse_yaml(text, FILE)
    assert caught.value.problem.file == FILE
    return caught.value.problem


def nested_mappings(levels: int) -> str:
    """``levels`` mappings, one inside the other, one key per line."""
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "leaf\n"


# --------------------------------------------------------------------------- what it reads


def test_mappings_and_lists_remember_their_lines() -> None:
    doc = parse_yaml(
        "# a comment\n"
        "actions:\n"
        "  - id: first\n"
        "    due: {purpose: 'yes'}\n"
        "\n"
        "  - id: second\n",
        FILE,
    )
    assert isinstance(doc, YMap)
    assert doc.key_lines == {"actions": 2}
    actions = doc["actions"]
    assert isinstance(actions, YList)
    assert actions.item_lines == [3, 6]
    assert actions[0].key_lines == {"id": 3, "due": 4}
    assert actions[0]["due"].key_lines == {"purpose": 4}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),  # YAML 1.2: yes and no are words, as the rule packs use them
        ("no", "no"),
        ("on", "on"),
        ("true", True),
        ("False", False),
        ('"true"', "true"),
        ("~", None),
        ("null", None),
        ("", None),
        ("12", 12),
        ("-3.5", -3.5),
        ("'12'", "12"),
        ("!!str 12", "12"),
        ("1.0.0", "1.0.0"),
        ("08000 121 700", "08000 121 700"),
        ("2026-11-28", "2026-11-28"),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text: str, value: Any) -> None:
    doc = parse_yaml(f"value: {text}\n", FILE)
    assert doc["value"] == value
    assert type(doc["value"]) is type(value)


def test_true_false_and_null_keys_become_plain_words() -> None:
    assert list(parse_yaml("true: 1\nnull: 2\n3: 4\n", FILE)) == ["true", "null", "3"]


def test_an_alias_repeats_its_anchor() -> None:
    doc = parse_yaml("a: &shared [child, uncertain]\nb: *shared\n", FILE)
    assert doc["b"] == ["child", "uncertain"]


def test_an_empty_file_reads_as_nothing() -> None:
    assert parse_yaml("# only a comment\n", FILE) is None


def test_one_explicit_document_is_fine() -> None:
    assert parse_yaml("---\na: 1\n...\n", FILE) == {"a": 1}


# --------------------------------------------------------------------------- what it refuses, and where


def test_a_key_given_twice_names_both_lines() -> None:
    problem = refused("question:\n  text: first\n  help: h\n  text: second\n")
    assert (problem.line, problem.message) == (4, "key 'text' appears twice in the same mapping (first on line 2)")


def test_keys_that_differ_only_in_spelling_of_true_are_the_same_key() -> None:
    problem = refused("true: 1\nTrue: 2\n")
    assert (problem.line, problem.message) == (2, "key 'true' appears twice in the same mapping (first on line 1)")


@pytest.mark.parametrize(
    ("text", "line", "tag"),
    [
        ('contacts:\n  - phone: !!python/object/apply:os.system ["echo owned"]\n', 2,
         "tag:yaml.org,2002:python/object/apply:os.system"),
        ("a: !!python/name:os.system\n", 1, "tag:yaml.org,2002:python/name:os.system"),
        ("a:\n  b: !local thing\n", 2, "!local"),
        ("a: !!binary aGVsbG8=\n", 1, "tag:yaml.org,2002:binary"),
        ("a: !!python/object:os.PathLike {}\n", 1, "tag:yaml.org,2002:python/object:os.PathLike"),
    ],
)
def test_tags_are_refused_and_nothing_runs(text: str, line: int, tag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "system", calls.append)
    problem = refused(text)
    assert (problem.line, problem.message) == (line, f"tag '{tag}' is not allowed in a rule pack")
    assert calls == []


def test_merge_keys_are_refused() -> None:
    problem = refused("base: &b {label: A}\nflag:\n  <<: *b\n  id: x\n")
    assert (problem.line, problem.message) == (3, "merge keys ('<<') are not allowed in a rule pack")


def test_a_list_as_a_key_is_refused() -> None:
    problem = refused("? [a, b]\n: value\n")
    assert (problem.line, problem.message) == (1, "a mapping key must be a plain word, not a list or mapping")


def test_two_documents_in_one_file_are_refused() -> None:
    problem = refused("a: 1\n---\nb: 2\n")
    assert (problem.line, problem.message) == (2, "a rule pack file must hold exactly one YAML document")


@pytest.mark.parametrize("text", ["a: *nowhere\n", "a: &loop [1, *loop]\n"])
def test_an_alias_must_follow_a_finished_anchor(text: str) -> None:
    problem = refused(text)
    assert problem.line == 1
    assert problem.message.endswith("refers to no anchor before it")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("why: Safety comes first: call 999.\n", 1, "invalid YAML: mapping values are not allowed here"),
        ("a: [1, 2\nb: 3\n", 2, "invalid YAML: expected ',' or ']', but got ':'"),
        ("flags:\n\t- id: x\n", 2, "invalid YAML: found character '\\t' that cannot start any token"),
    ],
)
def test_syntax_errors_say_where(text: str, line: int, message: str) -> None:
    problem = refused(text)
    assert (problem.line, problem.message) == (line, message)


# --------------------------------------------------------------------------- caps


def test_nesting_up_to_the_cap_is_read() -> None:
    doc = parse_yaml(nested_mappings(MAX_DEPTH), FILE)
    assert line_of(doc, [f"k{i}" for i in range(MAX_DEPTH)]) == MAX_DEPTH


def test_nesting_past_the_cap_is_refused_at_the_line_that_goes_too_deep() -> None:
    problem = refused(nested_mappings(MAX_DEPTH + 1))
    assert (problem.line, problem.message) == (MAX_DEPTH + 1, f"nesting is deeper than {MAX_DEPTH} levels")


def test_very_deep_flow_nesting_is_refused_at_once_not_a_crash_or_a_hang() -> None:
    started = time.perf_counter()
    problem = refused("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert (problem.line, problem.message) == (1, f"nesting is deeper than {MAX_DEPTH} levels")
    # Parsing to the end first took about two minutes here; stopping at the cap takes well under a second.
    assert time.perf_counter() - started < 10


def test_nesting_through_aliases_counts_the_expanded_depth() -> None:
    shallow = "{not: " * 25 + "{purpose: 'no'}" + "}" * 25
    wrapped = "{not: " * 25 + "*inner" + "}" * 25
    problem = refused(f"first: &inner {shallow}\nsecond: {wrapped}\n")
    assert (problem.line, problem.message) == (
        2, f"nesting is deeper than {MAX_DEPTH} levels once aliases are expanded")


def test_an_alias_that_stays_within_the_depth_cap_is_read() -> None:
    shallow = "{not: " * 10 + "{purpose: 'no'}" + "}" * 10
    wrapped = "{not: " * 10 + "*inner" + "}" * 10
    doc = parse_yaml(f"first: &inner {shallow}\nsecond: {wrapped}\n", FILE)
    node = doc["second"]
    for _ in range(20):
        node = node["not"]
    assert node == {"purpose": "no"}


def test_values_up_to_the_node_cap_are_read() -> None:
    doc = parse_yaml("[" + "x, " * (MAX_NODES - 1) + "]", FILE)
    assert len(doc) == MAX_NODES - 1


def test_more_values_than_the_node_cap_are_refused() -> None:
    problem = refused("[" + "x, " * MAX_NODES + "]")
    assert problem.message == f"document is too large: more than {MAX_NODES} values once aliases are expanded"


def test_billion_laughs_is_refused_at_the_line_where_the_cap_is_passed() -> None:
    lines = ["laughs:", "  - &a [" + ", ".join(["lol"] * 10) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  - &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    problem = refused("\n".join(lines) + "\n")
    # a..d hold 11 111 values in all; the tenth *d on the line of e passes 100 000
    assert (problem.line, problem.message) == (
        6, f"document is too large: more than {MAX_NODES} values once aliases are expanded")


def test_a_file_at_the_size_cap_is_read_and_one_byte_more_is_refused() -> None:
    head = "note: x\n# "
    at_cap = head + "x" * (MAX_FILE_BYTES - len(head) - 1) + "\n"
    assert len(at_cap.encode()) == MAX_FILE_BYTES
    assert parse_yaml(at_cap, FILE) == {"note": "x"}
    problem = refused(at_cap + "\n")
    assert (problem.line, problem.message) == (1, "file is larger than 512 KiB; split it or trim it")


def test_the_size_cap_counts_bytes_not_characters() -> None:
    text = "note: x\n# " + "é" * (MAX_FILE_BYTES // 2) + "\n"  # fewer characters than the cap, more bytes
    assert len(text) < MAX_FILE_BYTES < len(text.encode())
    assert refused(text).message == "file is larger than 512 KiB; split it or trim it"


# --------------------------------------------------------------------------- line_of


def test_line_of_follows_keys_and_list_items() -> None:
    doc = parse_yaml(
        "actions:\n"
        "  - id: first\n"
        "  - id: second\n"
        "    reasons:\n"
        "      - text: a\n"
        "      - text: b\n",
        FILE,
    )
    assert line_of(doc, ("actions", 1, "reasons", 1, "text")) == 6
    assert line_of(doc, ("actions", 1)) == 3


def test_line_of_a_missing_key_is_the_line_of_the_nearest_thing_that_exists() -> None:
    doc = parse_yaml("actions:\n  - id: first\n  - id: second\n", FILE)
    assert line_of(doc, ("actions", 1, "source")) == 3
    assert line_of(doc, ("actions", 7, "source")) == 1
