"""The pure parts of sync: the plan (local vs published vs remote) and the mapping to request bodies."""

from dataclasses import replace

from pharos_desktop.engine.index.catalog import ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.sync import mapping
from pharos_desktop.engine.sync.plan import LocalFile, Published, make_plan

URL = "https://github.com/o/r/blob/main/a.py"


def local(path="a.py", fp="f1", url=URL, chunks=2):
    return LocalFile("r", path, url, fp, chunks)


def done(path="a.py", fp="f1", url=URL, rid="id1", status="done"):
    return Published("r", path, url, rid, fp, status)


def kinds(plan):
    return [(a.kind, a.path, a.stale_ids, a.counts_as) for a in plan.actions]


def test_unchanged_file_needs_nothing():
    plan = make_plan([local()], [done()], {URL: ["id1"]})
    assert plan.unchanged == 1 and plan.actions == []


def test_new_file_is_created():
    assert kinds(make_plan([local()], [], {})) == [("upload", "a.py", (), "created")]


def test_changed_file_is_replaced():
    plan = make_plan([local(fp="f2")], [done()], {URL: ["id1"]})
    assert kinds(plan) == [("upload", "a.py", ("id1",), "updated")] and plan.chunks == 2


def test_deleted_file_is_deleted_and_gone_state_is_forgotten():
    plan = make_plan([], [done(), done("b.py", url=URL + "b", rid="id2")], {URL: ["id1"]})
    assert kinds(plan) == [("delete", "a.py", ("id1",), "deleted"), ("forget", "b.py", (), "")]


def test_resource_deleted_on_server_is_created_again():
    assert kinds(make_plan([local()], [done()], {})) == [("upload", "a.py", (), "created")]


def test_half_finished_upload_is_redone():
    plan = make_plan([local()], [done(status="uploading", rid=None)], {URL: ["id9"]})
    assert kinds(plan) == [("upload", "a.py", ("id9",), "updated")]


def test_unknown_resource_at_our_url_and_duplicates_are_replaced():
    assert kinds(make_plan([local()], [], {URL: ["x"]})) == [("upload", "a.py", ("x",), "updated")]
    assert kinds(make_plan([local()], [done()], {URL: ["id1", "x"]})) == [
        ("upload", "a.py", ("id1", "x"), "updated")]


def test_moved_url_deletes_the_old_resource():
    plan = make_plan([local(url=URL + "2")], [done()], {URL: ["id1"]})
    assert kinds(plan) == [("upload", "a.py", ("id1",), "updated")]


def test_a_checked_resource_with_other_chunks_than_the_file_is_repaired():
    # doubled by two syncs at once, or a count that could not be read (-1): deleted and created again
    for total in (4, 1, 0, -1):
        plan = make_plan([local(chunks=2)], [done()], {URL: ["id1"]}, {"id1": total})
        assert kinds(plan) == [("upload", "a.py", ("id1",), "repaired")] and plan.count("repaired") == 1
        assert plan.chunks == 2 and plan.unchanged == 0


def test_a_checked_resource_with_the_files_chunks_is_unchanged():
    plan = make_plan([local(chunks=2), local("b.py", url=URL + "b")],
                     [done(), done("b.py", url=URL + "b", rid="id2")], {URL: ["id1"], URL + "b": ["id2"]},
                     {"id1": 2})  # b.py was not checked: its state is trusted
    assert plan.unchanged == 2 and plan.actions == []


def test_a_check_does_not_change_what_was_to_be_published_anyway():
    assert kinds(make_plan([local(fp="f2")], [done()], {URL: ["id1"]}, {"id1": 4})) == [
        ("upload", "a.py", ("id1",), "updated")]
    assert kinds(make_plan([], [done()], {URL: ["id1"]}, {"id1": 4})) == [("delete", "a.py", ("id1",), "deleted")]


HOSTED = RepoRecord("r1", "demo", "https://github.com/acme/demo", "remote", web_base="https://github.com/acme/demo",
                    branch="feat/x", commit="c" * 40)
FILE = FileRecord("src/my file.py", "python", 10, 1, "h1", None, 1)


def test_urls_for_github_gitlab_and_local_folders():
    assert mapping.file_url(HOSTED, "src/my file.py") == "https://github.com/acme/demo/blob/feat/x/src/my%20file.py"
    gitlab = replace(HOSTED, web_base="https://gitlab.com/g/p", branch="")
    assert mapping.file_url(gitlab, "a.py") == f"https://gitlab.com/g/p/-/blob/{'c' * 40}/a.py"
    folder = RepoRecord("abc", "notes", "/home/me/notes", "local")
    assert mapping.file_url(folder, "a/b.py") == "https://pharos.local/repo/abc/a/b.py"
    assert "/home/me" not in str(mapping.update_body(folder, FILE))  # the local path is never published


def test_bodies_follow_the_contract():
    create = mapping.create_body(HOSTED, replace(FILE, language="a-very-long-language-name"))
    assert set(create) == {"url", "title", "description", "language", "type"}  # never "source"
    assert create["title"] == "my file.py" and len(create["language"]) == 16
    assert mapping.create_body(HOSTED, FILE)["description"] == "Python source — src/my file.py"
    update = mapping.update_body(HOSTED, FILE)
    assert update["relation"] == ["language:python", f"git:commit:{'c' * 40}", "git:url:https://github.com/acme/demo"]
    assert (update["identifier"], update["coverage"], update["format"]) == ("src/my file.py", "c" * 40, "text/python")
    chunk = ChunkRecord("id", "r1", FILE.path, 0, "struct", "S", "python", 3, 7, "", "summary", ["x"], "code", "")
    body = mapping.chunk_body(HOSTED, chunk, send_source=False)
    assert body["content"] == "summary" and body["chunk_metadata"]["ast_node_type"] == "class"
    assert body["chunk_metadata"]["github_uri"].endswith("/src/my%20file.py#L3-L7")
    assert mapping.chunk_body(HOSTED, chunk, send_source=True)["content"] == "code"


def test_fingerprint_ignores_the_commit_but_not_content_or_settings():
    base = mapping.fingerprint(HOSTED, FILE, False)
    assert mapping.fingerprint(replace(HOSTED, commit="d" * 40), FILE, False) == base
    assert mapping.fingerprint(HOSTED, replace(FILE, content_hash="h2"), False) != base
    assert mapping.fingerprint(HOSTED, FILE, True) != base
