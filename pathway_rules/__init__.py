"""The shipped rule packs, installed as ``app.rules`` (pyproject.toml's package-dir): read them with
``importlib.resources.files("app.rules")``, never through a path computed from this file."""
