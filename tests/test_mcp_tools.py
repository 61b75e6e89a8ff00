"""`pharos-desktop mcp` as an assistant meets it: the SDK's own client starts the server over real stdio on a
really ingested sample repository, lists the tools, checks their schemas and calls each one. Paths that leave the
repository (`..`, absolute, a symlink) and files skipped for a secret are refused in one line, and their text never
comes back."""

from __future__ import annotations

import json
import os

import anyio
import git
import pytest

from pharos_desktop.tools.sample_repos import add_commit, commit_all

from .cli_support import cli
from .mcp_support import stdio_client, text
from .repo_factory import make_sample_repo
from .test_secret_content import AWS_ID

pytestmark = pytest.mark.slow

TOOLS = {"search_code", "list_repositories", "read_code", "read_symbol", "outline", "find_related",
         "ingest_repository"}
OUTSIDE_MARKER = "outside-the-repository-7f3a"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample repository, plus a file with a credential inside and a committed symlink to a file outside it."""
    root = tmp_path_factory.mktemp("mcp-tools")
    outside = root / "outside.py"
    outside.write_text(f"def leaked():\n    return '{OUTSIDE_MARKER}'\n")
    repo = make_sample_repo(root / "sample")
    (repo / "aws").mkdir()
    (repo / "aws" / "config.py").write_text(f'def client():\n    return make_client(access_key_id="{AWS_ID}")\n')
    os.symlink(outside, repo / "pkg" / "escape.py")
    commit_all(repo, "a credential and a symlink out")
    home = root / "home"
    done = cli("ingest", str(repo), "--json", home=home)
    assert done.returncode == 0, done.stderr
    return repo, home


def run(session):
    return anyio.run(session)


def test_tools_have_typed_schemas_and_each_one_answers(sample):
    repo, home = sample

    async def session():
        async with stdio_client(home) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == TOOLS
            search = tools["search_code"].input_schema
            assert search["required"] == ["query"]
            assert search["properties"]["limit"]["maximum"] == 50 and search["properties"]["limit"]["type"] == "integer"
            assert search["properties"]["include_tests"]["type"] == "boolean"
            assert set(search["properties"]) == {"query", "repository", "language", "path_glob", "kind",
                                                 "include_tests", "limit"}
            assert tools["read_code"].input_schema["required"] == ["repository", "path"]
            assert tools["read_symbol"].input_schema["required"] == ["repository", "path", "symbol"]
            for name, tool in tools.items():
                assert tool.output_schema and tool.output_schema["type"] == "object", name
                assert tool.annotations.read_only_hint is (name != "ingest_repository"), name

            found = await client.call_tool("search_code", {"query": "mask passwords before a line is logged",
                                                           "limit": 5})
            assert not found.is_error
            lines = text(found).splitlines()
            assert lines[0] == '5 results for "mask passwords before a line is logged"'
            assert "sample:pkg/core.py:22-24  redact_secrets (function)" in lines[1]
            assert lines[2].strip().startswith("why: doc") and "meaning" in lines[2]
            assert lines[3].strip().startswith("vector #1 (similarity 0.") and "keyword #" in lines[3]
            hits = found.structured_content["hits"]
            # the same relevance, reasons and ranks as the command line's `search --json --explain`
            shown = cli("search", "mask passwords before a line is logged", "--limit", "5", "--json", "--explain",
                        home=home)
            assert shown.returncode == 0, shown.stderr
            keys = ("repo", "path", "symbol", "start_line", "end_line", "relevance", "why", "vector_rank",
                    "keyword_rank", "fused_rank", "matched", "rerank")
            assert [[hit[k] for k in keys] for hit in hits] == [[hit[k] for k in keys] for hit in json.loads(shown.stdout)]

            only_go = await client.call_tool("search_code", {"query": "reverse a string", "language": "go"})
            assert {hit["language"] for hit in only_go.structured_content["hits"]} == {"go"}
            no_tests = await client.call_tool("search_code", {"query": "function", "include_tests": False,
                                                              "path_glob": "pkg/*"})
            assert all(hit["path"].startswith("pkg/") and hit["role"] != "test"
                       for hit in no_tests.structured_content["hits"])

            listed = await client.call_tool("list_repositories", {})
            (entry,) = listed.structured_content["repositories"]
            head = git.Repo(repo).head.commit.hexsha
            assert entry["name"] == "sample" and entry["commit"] == head and entry["index"] == "current"
            assert entry["skipped"] >= 14 and entry["state"] == "ready" and entry["chunks"] > 0
            assert f"sample  main @ {head[:10]}" in text(listed) and "index current" in text(listed)
            # the same status words as `pharos-desktop repos`
            assert entry["status"].startswith(f"up to date with {head[:10]}, checked ")
            assert f"\n    {entry['status']}\n" in text(listed)

            outline = await client.call_tool("outline", {"repository": "sample", "path": "pkg/core.py"})
            symbols = [(s["symbol"], s["kind"]) for s in outline.structured_content["symbols"]]
            assert ("redact_secrets", "function") in symbols and ("Settings.get", "method") in symbols
            assert "  22-24  function  redact_secrets  def redact_secrets(text):" in text(outline)
            layout = await client.call_tool("outline", {"repository": "sample"})
            folders = {f["path"]: f["files"] for f in layout.structured_content["folders"]}
            assert folders["pkg/"] == 3 and "web/" in folders
            assert layout.structured_content["modules"][0]["path"] == "pkg/core.py"

            method = await client.call_tool("read_symbol", {"repository": "sample", "path": "pkg/core.py",
                                                            "symbol": "get"})
            assert method.structured_content["symbol"] == "Settings.get"
            assert text(method).splitlines()[1:] == ["33      def get(self, name, default=None):",
                                                    "34          return self.env.get(name, default)"]
            missing = await client.call_tool("read_symbol", {"repository": "sample", "path": "src/lib.rs",
                                                               "symbol": "nothing_here"})
            assert missing.is_error and text(missing).startswith("no symbol 'nothing_here' in src/lib.rs in sample")

            lines = await client.call_tool("read_code", {"repository": "sample", "path": "pkg/core.py",
                                                         "start_line": 22, "end_line": 24})
            assert lines.structured_content["text"].startswith("def redact_secrets(text):")
            assert lines.structured_content["from_checkout"] and lines.structured_content["total_lines"] == 38

            refused = await client.call_tool("ingest_repository", {"source": str(repo)})
            assert refused.is_error and text(refused) == (
                "ingesting from an assistant is off: the user can turn it on in Pharos Desktop, Settings > "
                "AI assistants, or ingest the repository there")
            too_many = await client.call_tool("search_code", {"query": "x", "limit": 500})
            assert too_many.is_error and text(too_many) == (
                "search_code: limit: Input should be less than or equal to 50")
            unknown = await client.call_tool("search_code", {"query": "x", "repository": "nope"})
            assert text(unknown) == "no ingested repository called 'nope' (known: sample)"

            # the checkout moves on: the index is no longer current, and says so
            moved = add_commit(repo, {"NOTES.md": "later\n"}, "after the ingest")
            later = (await client.call_tool("list_repositories", {})).structured_content["repositories"][0]
            assert later["index"] == "stale" and later["checkout_head"] == moved
            assert later["index_note"] == f"the checkout is at {moved[:10]}, the index at {head[:10]}: ingest it again"
            assert later["status"] == "behind by 1 commit"
            # the pause switch, flipped while the server runs, shows at the next call
            assert cli("watch", "--pause", home=home).returncode == 0
            try:
                paused = (await client.call_tool("list_repositories", {})).structured_content["repositories"][0]
                assert paused["status"] == "paused (behind by 1 commit)"
            finally:
                assert cli("watch", "--resume", home=home).returncode == 0

    run(session)


def test_paths_that_leave_the_repository_and_skipped_files_are_refused(sample):
    repo, home = sample
    # after the ingest, an indexed file becomes a symlink to a file outside: the indexed text is shown, never it
    (repo / "pkg" / "util.py").unlink()
    os.symlink(repo.parent / "outside.py", repo / "pkg" / "util.py")
    attempts = {
        "../../etc/passwd": "'../../etc/passwd' leaves the repository sample: paths stay inside the indexed repositories",
        "pkg/../../outside.py": "'pkg/../../outside.py' leaves the repository sample: paths stay inside the indexed "
                                "repositories",
        "/etc/passwd": "'/etc/passwd' is not a path inside sample: give it relative to the repository, as "
                       "search_code and outline show it",
        str(repo / "pkg" / "core.py"): f"{str(repo / 'pkg' / 'core.py')!r} is not a path inside sample: give it "
                                       "relative to the repository, as search_code and outline show it",
        "pkg/escape.py": "pkg/escape.py in sample was not indexed (symlink), and Pharos never returns a file it skipped",
        "aws/config.py": "aws/config.py in sample was not indexed (secret inside), and Pharos never returns a file "
                         "it skipped",
        ".env": ".env in sample was not indexed (secret), and Pharos never returns a file it skipped",
        "pkg/nothing.py": "sample has no indexed file 'pkg/nothing.py': give the path relative to the repository, as "
                          "search_code and outline show it",
    }

    async def session():
        answers = []
        async with stdio_client(home) as client:
            for path, line in attempts.items():
                for tool, extra in (("read_code", {}), ("read_symbol", {"symbol": "client"}), ("outline", {})):
                    result = await client.call_tool(tool, {"repository": "sample", "path": path, **extra})
                    assert result.is_error and text(result) == line, (tool, path)
                    answers.append(text(result))
            swapped = await client.call_tool("read_code", {"repository": "sample", "path": "pkg/util.py"})
            assert not swapped.is_error and not swapped.structured_content["from_checkout"]
            assert "def slugify(title):" in text(swapped)
            for query in ("make client access key id", "leaked outside", "DATABASE_URL postgres admin"):
                found = await client.call_tool("search_code", {"query": query, "limit": 50})
                paths = {hit["path"] for hit in found.structured_content["hits"]}
                assert not paths & {"aws/config.py", "pkg/escape.py", ".env"}, paths
                answers.append(text(found))
            answers.append(text(swapped))
        for answer in answers:
            assert AWS_ID not in answer and OUTSIDE_MARKER not in answer and "hunter2" not in answer

    run(session)
