"""A URL pasted with credentials in it: they are dropped before the URL is stored, shown, logged or
handed to git, and the user is told once where a token goes instead. The clipboard hint in the URL
bar shows clipboard text as text, never as markup."""

from __future__ import annotations

import html
import re

import git
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from pharos_desktop.ui.url_bar import UrlBar

from .cli_support import cli
from .git_server import GitServer
from .repo_factory import make_sample_repo

SECRET = "glpat-PastedSecret0123456789"


@pytest.fixture
def bar(qtbot):
    widget = UrlBar()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def offered_link(bar: UrlBar) -> str:
    return html.unescape(re.search(r'href="([^"]*)"', bar.offer.text()).group(1))


def test_the_clipboard_hint_escapes_html(bar):
    pasted = 'https://example.org/team/<img src=x onerror="alert(1)">.git'
    QGuiApplication.clipboard().setText(pasted)
    bar.offer_clipboard()
    assert bar.offer.isVisible()
    assert "<img" not in bar.offer.text() and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in bar.offer.text()
    assert offered_link(bar) == pasted  # "use it" still puts exactly what was copied in the field
    bar.offer.linkActivated.emit(offered_link(bar))
    assert bar.source.text() == pasted


def test_the_clipboard_hint_never_shows_credentials(bar):
    QGuiApplication.clipboard().setText(f"https://someone:{SECRET}@gitlab.com/group/tool.git")
    bar.offer_clipboard()
    assert SECRET not in bar.offer.text() and "someone" not in bar.offer.text()
    assert offered_link(bar) == "https://gitlab.com/group/tool.git"


def test_credentials_typed_into_the_bar_are_dropped_and_explained(qtbot, bar):
    qtbot.keyClicks(bar.source, f"https://someone:{SECRET}@github.com/acme/private")
    with qtbot.waitSignal(bar.ingest_requested) as requested:
        qtbot.mouseClick(bar.ingest_button, Qt.MouseButton.LeftButton)
    assert requested.args == ["https://github.com/acme/private", ""]
    assert bar.source.text() == "https://github.com/acme/private"
    assert bar.notice.isVisible() and "ignored" in bar.notice.text() and "PHAROS_GIT_TOKEN" in bar.notice.text()


def test_the_cli_drops_credentials_everywhere_and_says_so_once(tmp_path, monkeypatch, hermetic_git):
    served = tmp_path / "served"
    served.mkdir()
    git.Repo.clone_from(make_sample_repo(tmp_path / "upstream"), served / "open.git", bare=True)
    server = GitServer(served)
    home = tmp_path / "home"
    try:
        url = server.url.replace("http://", f"http://someone:{SECRET}@") + "/open.git"
        done = cli("ingest", url, home=home)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("were ignored") == 1 and "PHAROS_GIT_TOKEN" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert server.seen and server.credentials == []
    leaks = [str(p) for p in home.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaks == []  # catalog (jobs' requests included), logs, the clone's .git/config
