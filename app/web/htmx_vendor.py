"""Fetch the pinned htmx file from the npm registry (with npm itself) and check it against the SRI hash.

Used by `make vendor-htmx`, which writes it to the repository's static/vendor/ (the copy that ships in
the wheel, for PATHWAY_HTMX_LOCAL=true; run it when the pinned version changes), and by the browser
tests (to serve the CDN's URL from a local, verified copy). Run: ``python -m app.web.htmx_vendor DEST_DIR``.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .htmx import HTMX_LOCAL_NAME, HTMX_SRI, HTMX_VERSION


def sri_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def fetch_htmx(dest: Path) -> Path:
    """The verified htmx file in ``dest``, fetching it with ``npm pack`` if it is not there yet."""
    target = dest / HTMX_LOCAL_NAME
    if target.is_file() and sri_of(target.read_bytes()) == HTMX_SRI:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch htmx: install Node.js and npm")
    with tempfile.TemporaryDirectory() as tmp:
        command = [npm, "pack", f"htmx.org@{HTMX_VERSION}", "--pack-destination", tmp, "--silent"]
        subprocess.run(command, check=True, capture_output=True, timeout=180)  # noqa: S603 - fixed arguments
        (tarball,) = Path(tmp).glob("htmx.org-*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/dist/htmx.min.js")
            if member is None:
                raise RuntimeError("the htmx package has no dist/htmx.min.js")
            data = member.read()
    actual = sri_of(data)
    if actual != HTMX_SRI:
        raise RuntimeError(f"htmx {HTMX_VERSION} from npm has hash {actual}, expected {HTMX_SRI}: not using it")
    dest.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m app.web.htmx_vendor DEST_DIR (make vendor-htmx writes to static/vendor)")
    path = fetch_htmx(Path(sys.argv[1]))
    print(f"htmx {HTMX_VERSION} verified ({HTMX_SRI}) at {path}")
