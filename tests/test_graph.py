"""The map of the code through real parts: real git repositories per language, a real ingest into a real
catalog, and the command line as a user runs it."""

from __future__ import annotations

import json
import sqlite3

import anyio
import pytest

from pharos_desktop.engine.graph import IMPORTED, SAME_FILE, UNIQUE, build_graph, file_imports, references
from pharos_desktop.engine.index.catalog import IMPORTS_VERSION
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.task import Task
from pharos_desktop.tools.sample_repos import add_commit, commit_all, init_repo, write_file

from .cli_support import cli
from .graph_samples import SAMPLES
from .mcp_support import stdio_client
from .mcp_support import text as answer_text


def make_repo(path, files):
    init_repo(path)
    for rel, text in files.items():
        write_file(path, rel, text)
    commit_all(path, "sample")
    return path


def ingest(workspace, path):
    result = Ingestor(workspace).ingest(path.as_uri(), None, task=Task("ingest", lambda event: None, CancelToken()))
    return workspace.catalog.get_repo(result.repo_id), result


def edges(workspace, repo):
    return {(item.path, target) for item in file_imports(workspace.catalog, repo) for target in item.targets}


def import_rows(workspace, repo_id):
    with sqlite3.connect(workspace.catalog.path) as conn:
        return conn.execute("SELECT rowid, path, line, kind, module, names FROM imports WHERE repo_id = ? "
                            "ORDER BY rowid", (repo_id,)).fetchall()


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_imports_resolve_to_the_files_a_reader_finds(workspace, tmp_path, language):
    files, expected = SAMPLES[language]
    repo, _ = ingest(workspace, make_repo(tmp_path / language, files))
    assert edges(workspace, repo) == expected


def test_reingest_rewrites_only_the_changed_files_imports(workspace, tmp_path):
    files, expected = SAMPLES["python"]
    path = make_repo(tmp_path / "py", files)
    repo, _ = ingest(workspace, path)
    before = import_rows(workspace, repo.repo_id)
    assert {row[1] for row in before} >= {"pkg/core.py", "main.py"} and "pkg/util.py" not in {row[1] for row in before}

    add_commit(path, {"pkg/util.py": "from .sub import helpers\n\n\ndef x():\n    return helpers.helper()\n",
                      "main.py": None})
    repo, _ = ingest(workspace, path)
    after = import_rows(workspace, repo.repo_id)
    kept = [row for row in before if row[1] not in ("pkg/util.py", "main.py")]
    assert [row for row in after if row[1] not in ("pkg/util.py", "main.py")] == kept  # same rows, same rowids
    assert [row[1:] for row in after if row[1] == "pkg/util.py"] == [("pkg/util.py", 1, "module", ".sub", '["helpers"]')]
    assert not [row for row in after if row[1] == "main.py"]  # deleted with the file
    assert edges(workspace, repo) == ({e for e in expected if e[0] != "main.py"} | {("pkg/util.py", "pkg/sub/helpers.py")})


def test_an_older_catalog_reads_its_files_imports_again_without_embedding(workspace, tmp_path):
    files, expected = SAMPLES["go"]
    repo, _ = ingest(workspace, make_repo(tmp_path / "go", files))
    with sqlite3.connect(workspace.catalog.path) as conn:  # as a catalog written before imports were read
        conn.execute("DELETE FROM imports")
        conn.execute("UPDATE repos SET imports_version = 0")
    workspace.catalog.close()
    assert edges(workspace, repo) == set()

    repo, result = ingest(workspace, tmp_path / "go")
    assert result.embedded == 0
    assert edges(workspace, repo) == expected and repo.imports_version == IMPORTS_VERSION


def test_references_carry_how_sure_they_are(workspace, tmp_path):
    files, _ = SAMPLES["python"]
    files = {**files, "pkg/other.py": "def x():\n    return 2\n\n\ndef helper():\n    return x()\n"}
    repo, _ = ingest(workspace, make_repo(tmp_path / "py", files))
    found = {(r.path, r.symbol, r.name): (r.target_path, r.target_symbol, r.confidence)
             for r in references(workspace.catalog, repo)}
    assert found[("pkg/other.py", "helper", "x")] == ("pkg/other.py", "x", SAME_FILE)
    assert found[("pkg/sub/helpers.py", "helper", "x")] == ("pkg/util.py", "x", IMPORTED)  # not other.py's x
    assert found[("src/lib2/a.py", "loud", "shout")] == ("src/lib2/b.py", "shout", IMPORTED)
    assert found[("pkg/core.py", "run", "helper")] == ("pkg/sub/helpers.py", "helper", IMPORTED)
    graph = build_graph(workspace.catalog, repo, "symbol")
    assert {"source": "src/lib2/a.py#loud", "target": "src/lib2/b.py#shout", "kind": "references", "weight": 1,
            "confidence": IMPORTED} in graph.to_dict()["edges"]
    assert UNIQUE  # the vocabulary the window and the JSON share


def test_graph_command_matches_the_catalog(workspace, pharos_home, tmp_path):
    files, expected = SAMPLES["typescript"]
    repo, _ = ingest(workspace, make_repo(tmp_path / "ts", files))
    home = pharos_home
    done = cli("graph", repo.name, "--format", "json", home=home)
    assert done.returncode == 0, done.stderr
    graph = json.loads(done.stdout)
    indexed = {f.path: f for f in workspace.catalog.files(repo.repo_id, indexed_only=True)}
    assert {n["id"]: n["chunks"] for n in graph["nodes"]} == {p: f.chunk_count for p, f in indexed.items()}
    assert {(e["source"], e["target"]) for e in graph["edges"]} == expected
    assert graph["imports"]["typescript"] == {"total": 6, "resolved": 5}  # "react" is a package

    folders = json.loads(cli("graph", repo.name, "--level", "folder", home=home).stdout)
    assert {(e["source"], e["target"], e["weight"]) for e in folders["edges"]} == {
        ("src", "src/lib", 1), ("src", ".", 1), ("web", "src", 1)}
    dot = cli("graph", repo.name, "--format", "dot", home=home).stdout
    assert dot.startswith("digraph") and '"src/index.ts" -> "src/a.ts";' in dot and "cluster_" in dot

    wrong = cli("graph", "no-such-repo", home=home)
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines()[-1].startswith("pharos-desktop: ")


@pytest.mark.slow
def test_find_related_for_assistants_is_the_catalogs_imports_and_references(workspace, pharos_home, tmp_path):
    files, _ = SAMPLES["python"]
    repo, _ = ingest(workspace, make_repo(tmp_path / "py", files))
    refs = references(workspace.catalog, repo)
    workspace.catalog.close()

    async def session():
        async with stdio_client(pharos_home) as client:
            tool = next(t for t in (await client.list_tools()).tools if t.name == "find_related")
            assert tool.input_schema["required"] == ["repository", "path"] and tool.annotations.read_only_hint
            util = await client.call_tool("find_related", {"repository": repo.name, "path": "pkg/util.py",
                                                           "symbol": "x"})
            assert not util.is_error, answer_text(util)
            found = util.structured_content
            assert [(p["path"], p["line"]) for p in found["importers"]] == [("pkg/core.py", 2),
                                                                            ("pkg/sub/helpers.py", 1)]
            assert found["imports"] == [] and found["symbol"] == "x"
            assert {(p["path"], p["symbol"], p["confidence"]) for p in found["callers"]} == {
                (r.path, r.symbol, r.confidence) for r in refs if (r.target_path, r.target_symbol) == ("pkg/util.py", "x")}
            assert ("pkg/sub/helpers.py", "helper", IMPORTED) in {(p["path"], p["symbol"], p["confidence"])
                                                                   for p in found["callers"]}
            assert answer_text(util).splitlines()[0] == f"{repo.name}:pkg/util.py x: 0 imports, 2 importers, " \
                f"{len(found['callers'])} callers, 0 callees"
            assert "  pkg/sub/helpers.py:5  helper  (imported file)" in answer_text(util).splitlines()

            core = (await client.call_tool("find_related", {"repository": repo.name, "path": "pkg/core.py"}))
            whole = core.structured_content
            assert [(p["path"], p["line"]) for p in whole["imports"]] == [("pkg/util.py", 2), ("pkg/sub/helpers.py", 3)]
            assert {(p["path"], p["symbol"]) for p in whole["callees"]} == {
                (r.target_path, r.target_symbol) for r in refs if r.path == "pkg/core.py" != r.target_path}
            assert ("pkg/sub/helpers.py", "helper") in {(p["path"], p["symbol"]) for p in whole["callees"]}

            missing = await client.call_tool("find_related", {"repository": repo.name, "path": "pkg/util.py",
                                                              "symbol": "nope"})
            assert missing.is_error and answer_text(missing) == f"no symbol 'nope' in pkg/util.py in {repo.name}; it has x"
            outside = await client.call_tool("find_related", {"repository": repo.name, "path": "../etc/passwd"})
            assert outside.is_error and "leaves the repository" in answer_text(outside)

    anyio.run(session)
