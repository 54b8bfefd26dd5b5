"""Copy the vendored front-end files from node_modules/ into the package's static folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "servicielle" / "web" / "static" / "vendor"

# (source relative to node_modules/, destination folder relative to vendor/)
FILES: tuple[tuple[str, str], ...] = (
    ("leaflet/dist/leaflet.js", "leaflet"),
    ("leaflet/dist/leaflet.css", "leaflet"),
    ("htmx.org/dist/htmx.min.js", "htmx"),
    ("axe-core/axe.min.js", "axe"),
)
# (source folder relative to node_modules/, destination folder relative to vendor/)
FOLDERS: tuple[tuple[str, str], ...] = (("leaflet/dist/images", "leaflet/images"),)


def plan() -> list[tuple[Path, Path]]:
    """Return every (source, destination) pair to copy, or exit if a source is missing."""
    if not NODE_MODULES.is_dir():
        sys.exit(f"error: {NODE_MODULES} not found; run `npm ci` in {ROOT} first.")
    pairs: list[tuple[Path, Path]] = []
    for source, target in FILES:
        path = NODE_MODULES / source
        pairs.append((path, VENDOR / target / path.name))
    for source, target in FOLDERS:
        folder = NODE_MODULES / source
        if not folder.is_dir():
            sys.exit(f"error: {folder} not found; run `npm ci` in {ROOT} again.")
        pairs.extend((path, VENDOR / target / path.name) for path in sorted(folder.iterdir()))
    missing = [str(path) for path, _ in pairs if not path.is_file()]
    if missing:
        sys.exit(f"error: missing {', '.join(missing)}; run `npm ci` in {ROOT} again.")
    return pairs


def main() -> int:
    """Copy every vendored file and report how many were copied."""
    pairs = plan()
    for source, destination in pairs:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    sys.stdout.write(f"copied {len(pairs)} files into {VENDOR.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
