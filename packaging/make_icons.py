"""Render the SVG app icon (pharos_desktop/resources/icons/pharos.svg) into the formats PyInstaller embeds.

    python packaging/make_icons.py [OUT_DIR]      # default OUT_DIR: build/icons

Writes pharos.png (512 px, for Linux .desktop files), pharos.ico (Windows: 16-256 px) and pharos.icns
(macOS) with Qt's own image writers, so no Pillow or iconutil is needed. build.spec runs this by
itself on Windows and macOS when that folder has no .ico/.icns.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "pharos_desktop" / "resources" / "icons"
SVG = ICONS / "pharos.svg"


def render(svg: Path, out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - image plugins need it
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {svg}")

    def image(size: int) -> QImage:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        renderer.render(painter)
        painter.end()
        return img

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size in (("pharos.png", 512), ("pharos.ico", 256), ("pharos.icns", 512)):
        target = out_dir / name
        if image(size).save(str(target)):
            written.append(target)
        else:
            print(f"make_icons: Qt could not write {target.name} (image format plugin missing?)", file=sys.stderr)
    return written


def main(argv: list[str]) -> int:
    if not SVG.is_file():
        print(f"make_icons: no {SVG}", file=sys.stderr)
        return 1
    out_dir = Path(argv[0]) if argv else ROOT / "build" / "icons"
    for path in render(SVG, out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
