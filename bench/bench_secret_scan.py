"""Cost of the "secret inside" content check on real source files.

    .venv/bin/python -m bench.bench_secret_scan [--packages chromadb,httpx,rich,...] [--files 400]

Reads up to ``--files`` indexable files of installed packages (nobody here wrote them) and times
``find_secret`` on each, as ``read_text`` runs it. Prints files, MB, total and per-file time, and
every file it flags, so false positives can be read. For scale: embedding one file's chunks on a
CPU takes tens to hundreds of milliseconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharos_desktop.engine.files.scan import decode_text  # noqa: E402
from pharos_desktop.engine.parse import detect_language  # noqa: E402
from pharos_desktop.engine.files.secret_scan import find_secret  # noqa: E402

DEFAULT_PACKAGES = "chromadb,httpx,rich,keyring,platformdirs,git,pygments,huggingface_hub"


def package_files(names: list[str], limit: int) -> list[Path]:
    found: list[Path] = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            found.extend(p for p in sorted(Path(folder).rglob("*")) if p.is_file() and detect_language(p.name)
                         and p.stat().st_size <= 1_000_000)
    return found[::max(1, len(found) // limit)][:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", default=DEFAULT_PACKAGES)
    parser.add_argument("--files", type=int, default=400)
    args = parser.parse_args()
    paths = package_files(args.packages.split(","), args.files)
    texts = [(p, decode_text(p.read_bytes()), detect_language(p.name)) for p in paths]
    find_secret("warm-up: loads detect-secrets' plugins once")
    began = time.perf_counter()
    flagged = [(p, kind) for p, text, language in texts if (kind := find_secret(text, language))]
    seconds = time.perf_counter() - began
    size = sum(len(text) for _, text, _ in texts) / 1e6
    print(f"{len(texts)} files, {size:.1f} MB: {seconds * 1000:.0f} ms in all, "
          f"{seconds * 1000 / max(len(texts), 1):.2f} ms per file, {seconds / max(size, 1e-9) * 1000:.0f} ms per MB")
    for path, kind in flagged:
        print(f"  flagged ({kind}): {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
