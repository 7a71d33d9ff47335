"""The ``pathway`` command: serve, check, scenarios, assess, counts."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.case_notes import outcome_as_text
from app.config import DEFAULT_LOCAL_PACK, DEFAULT_RULES, Settings, default_local_pack
from app.engine import (
    AnswerError,
    EngineError,
    PackError,
    PackProblem,
    PackProblemError,
    Report,
    Rulebook,
    ScenarioError,
    Verifier,
    assess,
    contact_warnings,
    deployment_scenarios,
    is_overlay_path,
    load_rulebook,
    load_scenario,
    overlay_id,
    read_yaml_file,
    rules_dirs,
    run_scenario,
    scenario_files,
    service_warnings,
    to_dot,
    to_mermaid,
    to_svg,
    write_starter_overlay,
)

if TYPE_CHECKING:  # app.counts (SQLAlchemy) is imported only where counting is used
    from app.counts import CountStore

# How `pathway serve` logs: Pathway's JSON access records (and errors) to standard error.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "pathway.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "pathway.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


# --local, for every command that takes it: a shipped overlay, an overlay kept elsewhere, or none.
LOCAL_HELP = ("the local overlay: a shipped one's name (under RULES/local/), a path to an overlay folder "
              "(with its pack.yaml), or 'none' for the national pack alone (default: {default})")
LOCAL_DEFAULT = f"PATHWAY_LOCAL_PACK, else {DEFAULT_LOCAL_PACK}"


def _rules_root(path: Path) -> tuple[Path, list[str | None]]:
    """A rules root and the overlays to check in it: the national pack alone, then each local pack."""
    if (path / "national").is_dir():
        local_root = path / "local"
        locals_: list[str | None] = [None]
        if local_root.is_dir():
            locals_ += sorted(p.name for p in local_root.iterdir() if p.is_dir())
        return path, locals_
    return path, [None]


def cmd_check(args: argparse.Namespace) -> int:
    root, overlays = _rules_root(Path(args.dir))
    if args.local:
        overlays = [None if args.local == "none" else args.local]
    failed = False
    # The training scenarios beside the packs are read too, as `pathway serve` reads them: each problem once.
    from app.web.training import load_cases

    scenarios = root / "scenarios" if (root / "national").is_dir() else None
    scenario_paths = scenario_files(scenarios) if scenarios else []
    scenario_problems: dict[str, None] = {}
    folders = [scenarios] if scenario_paths and scenarios else []
    for path in scenario_paths:
        try:
            load_scenario(path)
        except ScenarioError as exc:
            scenario_problems[str(exc.problem)] = None
    for local in overlays:
        label = f"{root}" + (f" + {local}" if local else "")
        try:  # an overlay by name (under local/) or by path; a rules folder may be a national pack alone
            national, overlay = rules_dirs(root, local)
            if not (root / "national").is_dir():
                national = root
            label = f"{national}" + (f" + {overlay}" if overlay else "")
            book = load_rulebook(national, overlay)
        except PackError as exc:
            failed = True
            print(exc.report())
            print(f"FAILED: {label}")
            continue
        counts = f"{len(book.questions)} questions, {len(book.determinations)} determinations, " \
                 f"{len(book.actions)} actions"
        print(f"ok: {book.version} ({counts})")
        for warning in [*contact_warnings(book), *service_warnings(book)]:
            print(f"warning: {warning}")
        if scenarios is not None:
            if overlay is not None and scenario_files(overlay / "scenarios"):
                scenario_paths += scenario_files(overlay / "scenarios")
                folders.append(overlay / "scenarios")
            try:  # the training cases for this overlay: their answers must be ones its questions take
                load_cases(root, local or "none", book)
            except PackError as exc:
                scenario_problems.update(dict.fromkeys(str(p) for p in exc.problems))
    if scenario_problems:
        failed = True
        count = len(scenario_problems)
        print("\n".join([*scenario_problems, f"{count} problem{'s' if count != 1 else ''} found."]))
        print(f"FAILED: {scenarios}")
    elif scenario_paths:
        print(f"ok: {len(scenario_paths)} scenarios in {' and '.join(map(str, folders))}")
    return 1 if failed else 0


def _scenario_books(rules: Path, chosen: str) -> tuple[Rulebook | None, Callable[[str], Rulebook]]:
    """The chosen deployment's rulebook (None for the national pack alone), and the rulebook for each
    scenario's ``local:``: 'any' and the chosen overlay's id are the chosen deployment, 'none' the
    national pack alone, another name that shipped overlay. Raises PackError."""
    national, overlay = rules_dirs(rules, chosen)
    book = load_rulebook(national, overlay) if overlay else None
    mine = overlay_id(book) if book else None

    @cache
    def books(local: str) -> Rulebook:
        if local in ("any", mine) and book is not None:
            return book
        if local == "any":
            raise ScenarioError(PackProblem(f"local pack '{chosen}'", None, "a scenario for any overlay "
                                            "needs one: give --local a shipped overlay's name or a path"))
        return load_rulebook(*rules_dirs(rules, None if local == "none" else local))

    return book, books


def cmd_scenarios(args: argparse.Namespace) -> int:
    rules = Path(args.rules)
    chosen = args.local or default_local_pack()
    try:
        book, books = _scenario_books(rules, chosen)
    except PackError as exc:
        print(exc.report())
        return 1
    if args.dir:  # a folder of scenarios: every one, each against the deployment its `local:` names
        files, problems = scenario_files(Path(args.dir)), list[PackProblem]()
        where = args.dir
    else:  # the chosen deployment's: the shared ones for it (and for the national pack), and its own
        _, overlay = rules_dirs(rules, chosen)
        found, problems = deployment_scenarios(rules / "scenarios", overlay, overlay_id(book) if book else None)
        if book is not None:
            found += [(p, s) for p, s in deployment_scenarios(rules / "scenarios", None, None)[0]]
        files = sorted((p for p, _ in found), key=lambda p: (p.parent != rules / "scenarios", p.name))
        where = f"{rules / 'scenarios'}" + (f" or {overlay / 'scenarios'}" if overlay else "")
    if not files and not problems:
        print(f"no scenarios found in {where}")
        return 1
    passed, failed = 0, len(problems)
    for problem in problems:
        print(f"FAIL {problem}")
    for path in files:
        if _run_one(path, books):
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _run_one(path: Path, books: Callable[[str], Rulebook]) -> bool:
    """Run one scenario file and print its result like a test runner; True when it passed."""
    try:
        result = run_scenario(path, books)
    except (ScenarioError, PackError) as exc:
        print(f"FAIL {path}\n  {exc}")
        return False
    if result.passed:
        print(f"PASS {path.name}: {result.scenario.name}")
        return True
    print(f"FAIL {path}: {result.scenario.name}")
    for failure in result.failures:
        print(f"  - {failure}")
    return False


def _answers_from(path: Path) -> tuple[dict[str, Any], dict[str, str], str | None]:
    """Answers from a YAML file: a scenario, ``{answers: {...}}``, or a plain mapping of answers."""
    try:
        raw = read_yaml_file(path)
    except PackProblemError as exc:
        raise SystemExit(f"pathway assess: {exc.problem}") from None
    if isinstance(raw, dict) and "expect" in raw:
        scenario = load_scenario(path)
        return scenario.answer_values(), scenario.preset, scenario.local
    if isinstance(raw, dict) and isinstance(raw.get("answers"), dict):
        raw = raw["answers"]
    if not isinstance(raw, dict):
        raise SystemExit(f"pathway assess: {path} must hold a mapping of question ids to answers")
    answers = {k: (v.get("answer") if isinstance(v, dict) else v) for k, v in raw.items()}
    return answers, {}, None


def cmd_assess(args: argparse.Namespace) -> int:
    try:
        answers, preset, local = _answers_from(Path(args.file))
    except (OSError, ScenarioError) as exc:
        print(f"pathway assess: {exc}", file=sys.stderr)
        return 2
    if args.organisation:
        preset = {"organisation": args.organisation}
    chosen = args.local or (local if local not in (None, "any") else None) or default_local_pack()
    try:
        book = load_rulebook(*rules_dirs(args.rules, chosen))
        outcome = assess(book, answers, preset=preset or None)
    except PackError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except AnswerError as exc:
        for problem in exc.problems:
            print(f"pathway assess: {problem.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(outcome.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(outcome_as_text(outcome), end="")
    return 0


def _scenario_coverage(rules: Path, local: str | None, book: Rulebook) -> tuple[dict[str, list[str]], list[str]]:
    """Which scenario files reach each action id and determination value (for the coverage matrix), and
    one line for each scenario of this overlay that cannot be read or run: it is a failure, not a gap."""
    covered: dict[str, list[str]] = {}
    _, overlay = rules_dirs(rules, local)
    found, problems = deployment_scenarios(rules / "scenarios", overlay, overlay_id(book))
    failures = [f"FAIL {problem}" for problem in problems]
    for path, scenario in found:
        try:
            outcome = assess(book, scenario.answer_values(), preset=scenario.preset or None)
        except EngineError as exc:
            failures.append(f"FAIL {path}: the engine refused the scenario: {exc}")
            continue
        for r in outcome.referrals:
            covered.setdefault(r.id, []).append(path.stem)
        for did, value in outcome.determinations.model_dump().items():
            covered.setdefault(f"{did}={value}", []).append(path.stem)
    return covered, failures


def _print_coverage(root: Path, local: str | None, book: Rulebook, report: Report) -> bool:
    """The coverage matrix: paths and scenarios for each action and determination value. False if a
    scenario of this overlay could not be read or run."""
    covered, failures = _scenario_coverage(root, local, book)
    print(f"\n{'action or determination value':44s} {'paths':>22s}  scenarios")
    for action in book.actions:
        scen = ", ".join(sorted(set(covered.get(action.id, [])))[:3]) or "-"
        print(f"{action.id:44s} {report.action_paths.get(action.id, 0):>22,}  {scen}")
    for (did, value), paths in report.determination_paths.items():
        label = f"{did}={json.dumps(value)}"
        scen = ", ".join(sorted(set(covered.get(f"{did}={value}", []))))[:60] or "-"
        print(f"{label:44s} {paths:>22,}  {scen}")
    if failures:
        count = f"{len(failures)} scenario{'s' if len(failures) != 1 else ''}"
        print("\n".join(["", *failures, f"FAILED: {count} could not be counted in the coverage matrix."]))
    print()
    return not failures


def cmd_verify(args: argparse.Namespace) -> int:
    root = Path(args.rules)
    overlays: list[str | None] = [None if args.local in (None, "none") else args.local] if args.local else \
        _rules_root(root)[1]
    failed = False
    for local in overlays:
        try:
            book = load_rulebook(*rules_dirs(root, local))
        except PackError as exc:
            print(exc.report())
            return 1
        report = Verifier(book).run()
        print(f"{book.version}: explored {report.states:,} states standing for {report.paths:,} paths "
              f"({report.skeleton_paths:,} sequences of asked questions) in {report.seconds:.2f} s")
        if report.violations:
            failed = True
            for v in report.violations:
                print(f"\nVIOLATION {v.check}: {v.message}")
                if v.answers:
                    print("# Shortest answer set that breaks it, as a scenario for pathway_rules/scenarios/:")
                    print(v.scenario_yaml("any" if local else "none"), end="")
            continue
        print("all checks passed: " + "; ".join(report.checks))
        for note in report.notes:
            print(f"note: {note}")
        if not _print_coverage(root, local, book, report):
            failed = True
    return 1 if failed else 0


def cmd_diagram(args: argparse.Namespace) -> int:
    try:
        book = load_rulebook(*rules_dirs(args.rules, args.local or default_local_pack()))
    except PackError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    render = {"svg": to_svg, "dot": to_dot, "mermaid": to_mermaid}[args.format]
    print(render(book), end="")
    return 0


def cmd_init_local(args: argparse.Namespace) -> int:
    """Write a starter overlay for a council, then say how to check it and where it is missing things."""
    target = Path(args.dir)
    rules = Path(args.rules)
    try:
        written = write_starter_overlay(rules / "national", rules / "scenarios", args.name, target)
    except ValueError as exc:
        print(f"pathway init-local: {exc}", file=sys.stderr)
        return 2
    except PackError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    shown = str(target) if is_overlay_path(str(target)) else f"./{target}"
    print(f"wrote the starter overlay '{args.name}' in {target}:")
    for path in written:
        print(f"  {path}")
    print(f"next: fill in contacts.yaml and services.yaml, then run `pathway check --local {shown}`; its "
          "warnings say what is still missing. Deploy with PATHWAY_LOCAL_PACK=" + shown)
    return 0


def _setting_problem(err: Any) -> str:
    """One settings error as ``PATHWAY_NAME: why``, without the value (it may be a secret)."""
    name = "PATHWAY_" + "_".join(str(part) for part in err["loc"]).upper() if err["loc"] else "settings"
    message = str(err["msg"]).removeprefix("Value error, ")
    return message if message.startswith(name) else f"{name}: {message}"


def no_key_problem(settings: Settings) -> str:
    """Why `pathway serve` will not start without a key, naming the three ways to give one."""
    return ("no secret key for the walk cookies: set PATHWAY_SECRET_KEY to a Fernet key, or set PATHWAY_KEY_FILE "
            "to the file that keeps one (made there at the first start, mode 0600), or pass --dev to try Pathway "
            f"with a key generated in {settings.state_dir} (not for production)")


def startup_problems(overrides: dict[str, Any], *, dev: bool = False) -> tuple[Settings | None, list[str]]:
    """What the app factory reads, checked before uvicorn starts: the settings, the packs, the training
    scenarios, the secret key and the vendored htmx. One line per problem, at file:line where there is a
    file, never the key itself. No settings when they cannot be read at all. Without ``dev``, the key
    must be given (PATHWAY_SECRET_KEY, or PATHWAY_KEY_FILE set explicitly)."""
    from pydantic import ValidationError

    from app.main import load_for
    from app.web.assets import HTMX_MISSING, Assets
    from app.web.training import load_cases
    from app.web.walk_token import load_or_create_key

    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        return None, [_setting_problem(err) for err in exc.errors()]
    problems: list[str] = []
    book: Rulebook | None = None
    try:
        book = load_for(settings)
    except PackError as exc:
        problems += [str(p) for p in exc.problems]
    except (EngineError, ValueError, OSError) as exc:
        problems.append(str(exc))
    try:
        if book is not None:
            load_cases(settings.rules_dir, settings.local_pack, book)  # reads every scenario file
        else:
            for path in scenario_files(settings.rules_dir / "scenarios"):
                try:
                    load_scenario(path)
                except ScenarioError as exc:
                    problems.append(str(exc.problem))
    except PackError as exc:
        problems += [str(p) for p in exc.problems]
    if not (dev or settings.key_given):
        problems.append(no_key_problem(settings))
    else:
        try:  # with --dev and no key given, the key is made in (or read from) the state folder
            load_or_create_key(settings.secret_key, settings.key_path)
        except (ValueError, OSError) as exc:  # says where the key comes from and why it cannot be used
            problems.append(str(exc))
    if settings.htmx_local and Assets().htmx_local is None:
        problems.append(HTMX_MISSING)
    return settings, problems


def migrate_counts(settings: Settings) -> str | None:
    """With PATHWAY_COUNTS=on, bring the counts database up to date, once, before any worker starts
    (workers never migrate). Counting never stops Pathway starting: a failure is returned as a warning
    (walks are served; the figures stay unavailable until `pathway counts migrate` succeeds)."""
    if not settings.counting:
        return None
    from app.counts import CountsUnavailable

    try:
        _migrated(settings)
    except CountsUnavailable as exc:
        return (f"Pathway starts without its figures: {exc}. Walks are served and not counted until "
                "`pathway counts migrate` succeeds.")
    return None


def _migrated(settings: Settings) -> CountStore:
    """The counts database brought up to date (Alembic), its connections closed. Raises CountsUnavailable."""
    from app.counts import CountStore

    store = CountStore(CountStore.url_for(settings))
    try:
        store.migrate()
    finally:
        store.close()
    return store


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    overrides: dict[str, Any] = {"rules_dir": Path(args.rules).resolve()}
    if args.local:
        overrides["local_pack"] = args.local
    # Everything the app factory reads is checked here, once, before uvicorn starts or forks a worker.
    settings, problems = startup_problems(overrides, dev=args.dev)
    if settings is None or problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print(f"Pathway will not start: fix the {count} below, then start it again.", file=sys.stderr)
        for problem in problems:
            print(" ".join(problem.split("\n")), file=sys.stderr)
        return 1
    if warning := migrate_counts(settings):
        print(warning, file=sys.stderr)
    # The app factory reads its settings from the environment, in every worker process.
    os.environ["PATHWAY_RULES_DIR"] = str(settings.rules_dir)
    os.environ["PATHWAY_LOCAL_PACK"] = settings.local_pack
    os.environ["PATHWAY_STATE_DIR"] = str(settings.state_dir)  # so every worker finds the key made for --dev
    # uvicorn's own access log would record full paths; ours records route templates only. The app applies
    # the forwarded headers itself (app/web/forwarded.py), keeping the connection's address for proxy sign-in.
    # PathwayH11Protocol adds the request-head deadline (PATHWAY_HEADER_TIMEOUT); the app caps
    # concurrency itself (a calm 503), so uvicorn's bare-503 limit_concurrency stays unset.
    from app.server_protocol import PathwayH11Protocol

    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                proxy_headers=False, server_header=False, access_log=False, log_config=LOG_CONFIG,
                http=PathwayH11Protocol,
                timeout_keep_alive=settings.keepalive_timeout)  # type: ignore[arg-type]  # a float works: call_later
    return 0


def _settings_or_problems() -> Settings | None:
    """The settings from the environment, or None after printing each problem."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            print(_setting_problem(err), file=sys.stderr)
        return None


def cmd_counts_migrate(_args: argparse.Namespace) -> int:
    """Bring the counts database (PATHWAY_DATABASE_URL, else STATE_DIR/counts.sqlite3) up to date."""
    from app.counts import CountsUnavailable
    from app.counts.store import HEAD

    settings = _settings_or_problems()
    if settings is None:
        return 1
    try:
        store = _migrated(settings)
    except CountsUnavailable as exc:
        print(f"{exc}", file=sys.stderr)
        return 1
    where = store.url.database if store.dialect == "sqlite" else store.url.render_as_string(hide_password=True)
    print(f"The counts database is up to date (revision {HEAD}): {where}")
    return 0


def add_counts_commands(sub: Any) -> None:
    """`pathway counts ...`: the Network's picture. One subcommand per block below."""
    counts = sub.add_parser("counts", help="the Network's picture: the counts database, its sign-in and export")
    commands = counts.add_subparsers(dest="counts_command", required=True, metavar="COMMAND")

    migrate = commands.add_parser("migrate", help="create or update the counts database's tables (PATHWAY_"
                                  "DATABASE_URL, else STATE_DIR/counts.sqlite3); `pathway serve` does it too")
    migrate.set_defaults(func=cmd_counts_migrate)

    # `pathway counts hash-passphrase` and `pathway counts export` (the dashboard's) are added here.
    hash_p = commands.add_parser("hash-passphrase", help="read the dashboard's passphrase (not echoed) and print "
                                 "its scrypt hash, for PATHWAY_NETWORK_PASSPHRASE_HASH")
    hash_p.set_defaults(func=cmd_counts_hash_passphrase)
    export = commands.add_parser("export", help="print each month's figures (small numbers suppressed, as on "
                                 "the dashboard; no range totals)")
    export.add_argument("--from", dest="first", required=True, metavar="YYYY-MM", help="the first month")
    export.add_argument("--to", dest="last", required=True, metavar="YYYY-MM", help="the last month")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.set_defaults(func=cmd_counts_export)


def cmd_counts_hash_passphrase(_args: argparse.Namespace) -> int:
    """Read the passphrase twice without echo (getpass) and print the hash to set."""
    import getpass

    from app.web.network import hash_passphrase

    try:
        first = getpass.getpass("Passphrase for the Network's dashboard: ")
        again = getpass.getpass("The same passphrase again: ")
    except (EOFError, KeyboardInterrupt):
        print("pathway counts hash-passphrase: no passphrase was given", file=sys.stderr)
        return 2
    if first != again:
        print("pathway counts hash-passphrase: the two passphrases differ; nothing was printed", file=sys.stderr)
        return 2
    if len(first) < 12:
        print("pathway counts hash-passphrase: use a passphrase of at least 12 characters", file=sys.stderr)
        return 2
    print(hash_passphrase(first))
    return 0


def cmd_counts_export(args: argparse.Namespace) -> int:
    """The dashboard's CSV for a range of months, to standard output."""
    from app.counts import CountStore, CountsUnavailable
    from app.counts.suppression import MONTH_FORMAT, MonthProblem, month_range
    from app.web.network import csv_rows, to_csv

    try:
        months = month_range(args.first, args.last)
    except MonthProblem as exc:
        print(f"pathway counts export: {exc} (--from and --to are months written {MONTH_FORMAT})",
              file=sys.stderr)
        return 2
    settings = _settings_or_problems()
    if settings is None:
        return 1
    store = CountStore(CountStore.url_for(settings))
    try:
        cells, sessions = store.cells(months[0], months[-1]), store.training(months[0], months[-1])
    except CountsUnavailable as exc:
        print(f"pathway counts export: figures unavailable: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    sys.stdout.write(to_csv(csv_rows(cells, sessions, months)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pathway", description="Pathway: modern slavery decision support.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the questionnaire and the API")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--rules", default=os.environ.get("PATHWAY_RULES_DIR", str(DEFAULT_RULES)))
    serve.add_argument("--local", default=None, help=LOCAL_HELP.format(default=LOCAL_DEFAULT))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--dev", action="store_true", help="development only: without PATHWAY_SECRET_KEY or "
                       "PATHWAY_KEY_FILE, keep a generated key in PATHWAY_STATE_DIR")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="check rule packs and report every problem")
    check.add_argument("dir", nargs="?", default=str(DEFAULT_RULES),
                       help="a rules folder holding national/ and local/ (default: the shipped packs)")
    check.add_argument("--local", default=None, help=LOCAL_HELP.format(default="each shipped one in turn"))
    check.set_defaults(func=cmd_check)

    scenarios = sub.add_parser("scenarios", help="run the YAML scenarios and report like a test runner")
    scenarios.add_argument("dir", nargs="?", default=None, help="scenarios folder (default: RULES/scenarios)")
    scenarios.add_argument("--rules", default=str(DEFAULT_RULES))
    scenarios.add_argument("--local", default=None, help=LOCAL_HELP.format(default=LOCAL_DEFAULT)
                           + "; runs its own scenarios and the shared ones for any overlay")
    scenarios.set_defaults(func=cmd_scenarios)

    verify_p = sub.add_parser("verify", help="check every path of the rules against the pack's invariants")
    verify_p.add_argument("--rules", default=str(DEFAULT_RULES))
    verify_p.add_argument("--local", default=None, help=LOCAL_HELP.format(default="each shipped one in turn"))
    verify_p.set_defaults(func=cmd_verify)

    diagram_p = sub.add_parser("diagram", help="print the pathway as a diagram")
    diagram_p.add_argument("--format", choices=["svg", "dot", "mermaid"], default="svg")
    diagram_p.add_argument("--rules", default=str(DEFAULT_RULES))
    diagram_p.add_argument("--local", default=None, help=LOCAL_HELP.format(default=LOCAL_DEFAULT))
    diagram_p.set_defaults(func=cmd_diagram)

    assess_p = sub.add_parser("assess", help="assess answers from a YAML file and print the outcome")
    assess_p.add_argument("file")
    assess_p.add_argument("--json", action="store_true", help="print the API's JSON instead of text")
    assess_p.add_argument("--rules", default=str(DEFAULT_RULES))
    assess_p.add_argument("--local", default=None, help=LOCAL_HELP.format(
        default="the scenario's own, else " + LOCAL_DEFAULT))
    assess_p.add_argument("--organisation", default=None, help="preset the organisation")
    assess_p.set_defaults(func=cmd_assess)

    init_p = sub.add_parser("init-local", help="write a starter local overlay for a council, to fill in")
    init_p.add_argument("name", help="the overlay's name (its pack id), for example southwark")
    init_p.add_argument("dir", help="a new or empty folder to write it in, kept wherever the council keeps it")
    init_p.add_argument("--rules", default=str(DEFAULT_RULES), help="the rules folder whose national pack it "
                        "extends (default: the shipped packs)")
    init_p.set_defaults(func=cmd_init_local)

    add_counts_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
