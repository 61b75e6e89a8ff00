"""Credentials inside ordinary-looking files: the file is skipped ("secret inside") and its text never
reaches the catalog, the chunks or anything else under the data folder. Real files in a real git
repository, ingested for real; values are assembled at run time so this file holds no live shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharos_desktop.engine.files.scan import SECRET_INSIDE, FileEntry, read_text
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.files.secret_scan import find_secret
from pharos_desktop.tools.sample_repos import add_commit

from .repo_factory import make_sample_repo
from .sync_support import make_syncer, run_sync

AWS_ID = "AKIA" + "Q3XZ7RT2MNB4KW5P"
GITHUB = "ghp" + "_" + "aaaaB7kQ9zX2mN4pL6vR8tY1wE3uI5oP0sD2"
SLACK = "xoxb" + "-1234567890-123456789012-AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
KEY_BODY = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2" + "qLk9Rz1"
GOOGLE = "AIza" + "SyD4xQ9mZ2kLr7TvB1nW8pC3yH6uJ5eF0gA"
ENTROPY = "f8Kq2xZr9LmT4vBn7WcY1pD6"
HEX_SECRET = "3f9a8c7e6d5b4a3928171605f4e3d2c1"

# path -> (content, the value that must never be stored)
LEAKY = {
    "deploy/keys.py": (f'"""Deployment helpers."""\n\nKEY = """-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n'
                       '-----END RSA PRIVATE KEY-----"""\n\n\ndef deploy():\n    return KEY\n', KEY_BODY),
    "gcp/sa.json": ('{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
                    + KEY_BODY + '\\n-----END PRIVATE KEY-----\\n"}\n', KEY_BODY),
    "aws/config.py": (f'def client():\n    return make_client(access_key_id="{AWS_ID}")\n', AWS_ID),
    "ci/publish.sh": (f"#!/bin/sh\ncurl -H 'Authorization: token {GITHUB}' https://api.github.com\n", GITHUB),
    "bots/notify.js": (f'const client = new WebClient("{SLACK}");\nfunction notify() {{ return client; }}\n', SLACK),
    "billing/charge.rb": (f'Stripe.api_key = "{STRIPE}"\ndef charge\n  1\nend\n', STRIPE),
    "web/maps.ts": (f'export const maps = {{ apiKey: "{GOOGLE}" }};\n', GOOGLE),
    "config/app.yaml": (f"server:\n  port: 8080\n  auth_token: {ENTROPY}\n", ENTROPY),
    "settings/prod.py": (f'DEBUG = False\nSECRET_KEY = "{ENTROPY}"\n', ENTROPY),
    "settings/oauth.toml": (f'[oauth]\nclient_secret = "{HEX_SECRET}"\n', HEX_SECRET),
}

# Ordinary code full of the words, none of the values: must be indexed.
HARMLESS = {
    "auth/tokens.py": '''"""Token handling for the API client."""

import os

TOKEN_HEADER = "Authorization"
PASSWORD_MIN_LENGTH = 12


def get_token(request):
    """Return the bearer token of a request, or None."""
    token = request.headers.get(TOKEN_HEADER)
    api_key = settings.API_KEY_FROM_ENVIRONMENT
    secret_key = os.environ["SECRET_KEY"]
    password = "correct horse battery staple"
    tokenizer = "bert-base-uncased"
    token_url = "https://oauth2.example.com/token"
    key_file = "/etc/ssl/private/server.key"
    return token or api_key or secret_key


def is_private_key(line):
    return line.startswith("-----BEGIN RSA PRIVATE KEY-----")
''',
    "docs/aws.md": '# AWS\n\nSet `aws_access_key_id = AKIAIOSFODNN7EXAMPLE` as in the AWS docs.\n\n'
                   'API_KEY=your-api-key-here\nTOKEN: ${GITHUB_TOKEN}\n',
    "models/attention.py": "class Sam3TrackerAttention:\n    pass\n\n\ntoken_to_image = Sam3TrackerAttention\n",
    # An encoder's alphabet under a name with "key" in it: runs of consecutive characters, nothing random.
    "lib/base64.js": 'var _keyStr = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";\n'
                     "exports.encode = function (input) { return _keyStr.charAt(input); };\n",
}


def entry(path: Path) -> FileEntry:
    info = path.stat()
    return FileEntry(path.name, path, info.st_size, info.st_mtime_ns)


@pytest.mark.parametrize("rel", sorted(LEAKY))
def test_each_credential_shape_is_found(tmp_path, rel):
    from pharos_desktop.engine.parse import detect_language

    content, _ = LEAKY[rel]
    path = tmp_path / Path(rel).name
    path.write_text(content, encoding="utf-8")
    text, reason, content_hash = read_text(entry(path), 100_000, detect_language(rel))
    assert (text, reason) == (None, SECRET_INSIDE) and content_hash


@pytest.mark.parametrize("rel", sorted(HARMLESS))
def test_ordinary_code_about_tokens_is_not_taken_for_a_secret(tmp_path, rel):
    from pharos_desktop.engine.parse import detect_language

    path = tmp_path / Path(rel).name
    path.write_text(HARMLESS[rel], encoding="utf-8")
    text, reason, _ = read_text(entry(path), 100_000, detect_language(rel))
    assert reason is None and text == HARMLESS[rel]


def test_bare_words_are_values_in_config_and_names_in_code():
    assert find_secret(f"auth_token = {ENTROPY}\n", "python") is None  # a name in code
    assert find_secret(f"auth_token = {ENTROPY}\n", "yaml") == "high-entropy assignment"
    assert find_secret(f"export AUTH_TOKEN={ENTROPY}\n", "bash") == "high-entropy assignment"


def test_files_with_secrets_never_reach_the_index_or_the_cloud(workspace, tmp_path, cloud):
    repo = make_sample_repo(tmp_path / "sample")
    add_commit(repo, {rel: content for rel, (content, _) in LEAKY.items()} | HARMLESS, "configs")
    result = Ingestor(workspace).ingest(str(repo), task=Task("ingest"))

    records = {f.path: f for f in workspace.catalog.files(result.repo_id)}
    assert {rel: records[rel].skip_reason for rel in LEAKY} == {rel: SECRET_INSIDE for rel in LEAKY}
    assert all(records[rel].chunk_count == 0 for rel in LEAKY)
    assert result.skipped_reasons[SECRET_INSIDE] == len(LEAKY)
    assert all(records[rel].skip_reason is None and records[rel].chunk_count > 0 for rel in HARMLESS)

    stored = "\n".join(c.code + c.summary + c.embedded_text for c in workspace.catalog.iter_chunks(result.repo_id))
    assert "def get_token" in stored
    for _, value in LEAKY.values():
        assert value not in stored
    # nor anywhere under the data folder: catalog, vectors, logs
    everything = b"".join(p.read_bytes() for p in workspace.data_folder.rglob("*") if p.is_file())
    for _, value in LEAKY.values():
        assert value.encode() not in everything

    # and a sync that sends source text sends none of them, not even their names
    workspace.settings.sync_send_source = True
    summary = run_sync(make_syncer(workspace, cloud))
    assert summary.failed == 0 and summary.chunks > 0
    sent = repr(cloud.log)
    assert "def get_token" in sent
    for rel, (_, value) in LEAKY.items():
        assert value not in sent and rel not in sent


def test_a_secret_added_to_an_indexed_file_takes_the_file_out_of_the_index(workspace, tmp_path):
    repo = make_sample_repo(tmp_path / "sample")
    add_commit(repo, {"settings/prod.py": "DEBUG = False\n\n\ndef configure():\n    return DEBUG\n"}, "settings")
    first = Ingestor(workspace).ingest(str(repo), task=Task("ingest"))
    assert workspace.catalog.chunks_for_file(first.repo_id, "settings/prod.py")

    add_commit(repo, {"settings/prod.py": f'DEBUG = False\nSECRET_KEY = "{ENTROPY}"\n\n\ndef configure():\n'
                                          "    return DEBUG\n"}, "oops")
    second = Ingestor(workspace).ingest(str(repo), task=Task("ingest"))
    record = {f.path: f for f in workspace.catalog.files(second.repo_id)}["settings/prod.py"]
    assert (record.skip_reason, record.chunk_count) == (SECRET_INSIDE, 0)
    assert workspace.catalog.chunks_for_file(second.repo_id, "settings/prod.py") == []
    assert second.chunks < first.chunks
    embedder = workspace.embedder()
    vector_ids = workspace.vectors().collection(embedder.name, embedder.dim, second.repo_id).ids()
    assert vector_ids == workspace.catalog.chunk_ids(second.repo_id)
