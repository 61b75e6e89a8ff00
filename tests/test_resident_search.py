"""The resident search process (engine/query/resident.py, resident_server.py) as a user meets it: real command-line
processes, a real resident started by them, real signals, real sockets. Every test ends the residents it started."""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import time
from multiprocessing.connection import Client
from pathlib import Path

import psutil
import pytest

from pharos_desktop.engine.query import resident
from pharos_desktop.tools.sample_repos import commit_all, write_file

from .cli_support import cli, wait_until
from .repo_factory import make_sample_repo

ON = {"PHAROS_NO_RESIDENT": ""}  # the tests' environment turns residents off (conftest); these turn them on
QUESTION = "secret handling"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and Unix sockets")


def residents(home: Path) -> list[psutil.Process]:
    """The resident search processes of this data folder (it runs in it)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "search-resident" in (process.info["cmdline"] or []) and process.cwd() == str(home):
                found.append(process)
        except psutil.Error:
            pass
    return found


def answered(home: Path) -> int:
    """How many searches a resident of this data folder answered (its log says each)."""
    log = home / "logs" / "pharos.log"
    return log.read_text(encoding="utf-8").count("resident search: answered") if log.exists() else 0


def started(home: Path, previous: psutil.Process | None = None) -> psutil.Process:
    """The resident that a search started (another than ``previous``), once it answers."""
    wait_until(lambda: len(residents(home)) == 1 and residents(home)[0] != previous, "the resident to start")
    wait_until(lambda: (reply := resident.ask(home, resident.request(QUESTION))) and resident.printable(reply),
               "the resident to answer")
    return residents(home)[0]


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    sample = make_sample_repo(tmp_path / "sample")
    done = cli("ingest", str(sample), home=home)
    assert done.returncode == 0, done.stderr
    yield home
    for process in residents(home):
        process.kill()
        process.wait(30)


def search(home: Path, *args: str, env: dict | None = None):
    return cli("search", *args, home=home, env={**ON, **(env or {})})


def same(one, other) -> bool:
    return (one.returncode, one.stdout, one.stderr) == (other.returncode, other.stdout, other.stderr)


def test_the_output_is_the_same_with_and_without_the_resident(home):
    first = search(home, QUESTION)
    assert first.returncode == 0 and first.stdout.strip()
    started(home)
    cases = [(QUESTION,), (QUESTION, "--json", "--explain"), ("load config", "--limit", "3", "--explain"),
             ("greet", "--path", "src/*", "--json"), ("slug", "--mode", "keyword", "--language", "python"),
             ("nothing matches zzqxv", "--mode", "keyword"), (QUESTION, "--repo", "sample", "--kind", "function")]
    for case in cases:
        before = answered(home)
        by_resident = search(home, *case)
        assert answered(home) == before + 1, f"the resident answered {case}"
        by_itself = search(home, *case, "--no-resident")
        assert same(by_resident, by_itself), case
        assert by_resident.returncode == 0
    assert search(home, QUESTION).stdout == first.stdout  # the first, which started it, searched itself
    # An error is the command's own line either way: the resident leaves it to the command.
    unknown = search(home, QUESTION, "--repo", "no-such-repo")
    assert unknown.returncode == 2 and unknown.stderr.startswith("pharos-desktop: no ingested repository called")
    assert same(unknown, search(home, QUESTION, "--repo", "no-such-repo", "--no-resident"))
    assert len(residents(home)) == 1


def test_a_resident_killed_with_sigkill_breaks_nothing(home):
    expected = search(home, QUESTION, "--json", "--no-resident")
    search(home, QUESTION)
    killed = started(home)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    assert (home / "resident" / "socket").exists()  # left behind, as a killed process leaves it
    after = search(home, QUESTION, "--json")
    assert same(after, expected)
    started(home, previous=killed)
    before = answered(home)
    assert same(search(home, QUESTION, "--json"), expected)
    assert answered(home) == before + 1


def test_a_stopped_resident_is_not_waited_for_and_serves_again_once_continued(home):
    expected = search(home, QUESTION, "--json", "--no-resident")
    search(home, QUESTION)
    stopped = started(home)
    stopped.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: stopped.status() == psutil.STATUS_STOPPED, "the resident to stop")
        begun = time.monotonic()
        assert resident.ask(home, resident.request(QUESTION)) is None
        # not waited for: a resident that does not greet is otherwise given HANDSHAKE_SECONDS (and one that does
        # not answer ANSWER_SECONDS, five minutes)
        assert time.monotonic() - begun < resident.HANDSHAKE_SECONDS
        assert same(search(home, QUESTION, "--json"), expected)
    finally:
        stopped.send_signal(signal.SIGCONT)
    before = answered(home)
    wait_until(lambda: (reply := resident.ask(home, resident.request(QUESTION))) and resident.printable(reply),
               "the continued resident to answer")
    # the one continued serves on (the one the fallback search started waits for its lock, then ends)
    assert stopped in residents(home) and answered(home) > before


def _authenticated(home: Path):
    key = (home / "resident" / "key").read_bytes()
    return Client(*resident.address(home), authkey=key)


def _reply(conn, payload: bytes) -> dict:
    conn.send_bytes(payload)
    return json.loads(conn.recv_bytes())


def test_hostile_clients_get_one_error_line_and_the_resident_serves_on(home):
    search(home, QUESTION)
    server = started(home)
    where = resident.address(home)[0]
    good = {"version": resident.code_stamp(), "env": resident.environment(), "search": resident.request(QUESTION)}

    stalled = socket.socket(socket.AF_UNIX)  # connects and says nothing, held open through the rest
    stalled.connect(where)
    with socket.socket(socket.AF_UNIX) as garbage:  # not the protocol at all
        garbage.connect(where)
        garbage.sendall(os.urandom(4096))
    with pytest.raises(Exception):  # noqa: B017 - multiprocessing's AuthenticationError, or the line cut
        Client(where, "AF_UNIX", authkey=b"not the key").send_bytes(json.dumps(good).encode())
    with _authenticated(home) as conn:  # longer than a request may be: cut off unread (maybe while it is sent)
        with pytest.raises((EOFError, ConnectionResetError, BrokenPipeError)):
            conn.send_bytes(b"x" * (resident.MAX_REQUEST + 1))
            conn.recv_bytes()
    bad = [(b"\x80\x04not json", "the request is not JSON"),
           (pickle.dumps(good), "the request is not JSON"),  # never unpickled
           (b"[1, 2]", "the request must be a JSON object"),
           (b"[" * 60_000, "the request is not JSON"),  # nested deeper than the parser's stack
           (json.dumps({**good, "search": {**good["search"], "query": 5}}).encode(), "bad search: query must be text"),
           (json.dumps({**good, "search": {**good["search"], "limit": "10"}}).encode(),
            "bad search: limit must be a whole number from 1 to 10000"),
           (json.dumps({**good, "search": {**good["search"], "limit": 10**9}}).encode(),
            "bad search: limit must be a whole number from 1 to 10000"),
           (json.dumps({**good, "search": {**good["search"], "repos": "sample"}}).encode(),
            "bad search: repos must be a list of text"),
           (json.dumps({**good, "search": {**good["search"], "mode": "psychic"}}).encode(),
            "bad search: mode must be one of hybrid, vector, keyword"),
           (json.dumps({**good, "search": {**good["search"], "extra": 1}}).encode(), "bad search: unknown fields: extra"),
           (json.dumps({**good, "search": None}).encode(), "bad search: the search must be an object")]
    for payload, error in bad:
        with _authenticated(home) as conn:
            assert _reply(conn, payload) == {"error": error}
    reply = resident.ask(home, resident.request(QUESTION))
    assert reply and resident.printable(reply)[0] == search(home, QUESTION, "--no-resident").stdout
    stalled.close()
    assert server.is_running() and residents(home) == [server]


def test_a_resident_ends_after_its_idle_time(home):
    search(home, QUESTION, env={"PHAROS_RESIDENT_IDLE": "2"})
    idle = started(home)
    idle.wait(60)
    assert not (home / "resident" / "socket").exists()
    assert "no search in 2 s" in (home / "logs" / "pharos.log").read_text()


def test_a_resident_serves_no_other_settings_code_or_environment(home):
    search(home, QUESTION)
    old = started(home)
    (home / "settings.json").write_text(json.dumps({"runtime": "onnx-int8"}), encoding="utf-8")
    changed = search(home, QUESTION, "--json")
    assert same(changed, search(home, QUESTION, "--json", "--no-resident"))
    old.wait(30)  # it refused, and ended
    assert "the resident search process ends: the settings changed" in (home / "logs" / "pharos.log").read_text()
    new = started(home, previous=old)  # the command started one with the new settings
    before = answered(home)
    assert same(search(home, QUESTION, "--json"), changed) and answered(home) == before + 1

    with _authenticated(home) as conn:  # another environment's settings
        other = {"version": resident.code_stamp(), "env": {"PHAROS_MODEL": "another-model"},
                 "search": resident.request(QUESTION)}
        assert _reply(conn, json.dumps(other).encode()) == {"refused": "the client's environment sets other settings"}
    new.wait(30)
    search(home, QUESTION)
    newer = started(home, previous=new)
    with _authenticated(home) as conn:  # another version of the code
        other = {"version": "0.0.0 elsewhere", "env": resident.environment(), "search": resident.request(QUESTION)}
        assert _reply(conn, json.dumps(other).encode()) == {"refused": "the client runs other code"}
    newer.wait(30)


def test_the_resident_sees_an_ingest_made_after_it_started(home, tmp_path):
    question = "interpolate the colour gradient between stops"
    search(home, question)
    server = started(home)
    assert "gradient_between_stops" not in search(home, question).stdout
    write_file(tmp_path / "sample", "pkg/colours.py",
               'def gradient_between_stops(start, end, steps):\n'
               '    """Interpolate the colour gradient between two stops."""\n'
               '    return [start + (end - start) * i / steps for i in range(steps + 1)]\n')
    commit_all(tmp_path / "sample", "colours")
    assert cli("ingest", str(tmp_path / "sample"), home=home).returncode == 0
    before = answered(home)
    found = search(home, question, "--json")
    assert answered(home) == before + 1 and residents(home) == [server]
    assert json.loads(found.stdout)[0]["symbol"] == "gradient_between_stops"
    assert same(found, search(home, question, "--json", "--no-resident"))


def test_a_warning_is_the_searchs_own_not_the_last_ones(home):
    (home / "vectors" / "chroma.sqlite3").unlink()  # every vector lost: a semantic search warns
    search(home, QUESTION)
    started(home)
    blind = search(home, QUESTION, "--mode", "vector")
    assert "warning: semantic search left out" in blind.stderr and same(
        blind, search(home, QUESTION, "--mode", "vector", "--no-resident"))
    before = answered(home)
    words = search(home, QUESTION, "--mode", "keyword")  # looks at no vector: no warning, as in a fresh process
    assert answered(home) == before + 1 and words.stderr == ""
    assert same(words, search(home, QUESTION, "--mode", "keyword", "--no-resident"))
