"""The build files that say where modules are (go.mod, tsconfig.json, Package.swift) are read from the checkout,
but never through a link (it may point anywhere on the machine) nor when larger than any real one."""

from __future__ import annotations

from pharos_desktop.engine.graph import _build_files
from pharos_desktop.engine.index.catalog import RepoRecord


def test_a_linked_or_huge_build_file_is_not_read(tmp_path):
    checkout, outside = tmp_path / "checkout", tmp_path / "outside"
    (checkout / "web").mkdir(parents=True)
    (checkout / "api").mkdir()
    outside.mkdir()
    (checkout / "tsconfig.json").write_text('{"compilerOptions": {"baseUrl": "src"}}\n')
    (outside / "secret.json").write_text('{"token": "not for the map"}\n')
    (checkout / "web" / "tsconfig.json").symlink_to(outside / "secret.json")
    (checkout / "api" / "tsconfig.json").write_text('{"compilerOptions": {"baseUrl": "."}, "x": "' + "a" * (1 << 20)
                                                     + '"}\n')
    repo = RepoRecord("r1", "r", "file:///r", "local", checkout_path=str(checkout))
    found = _build_files(repo, ["tsconfig.json", "web/tsconfig.json", "api/tsconfig.json", "web/app.ts"])
    assert found == {"tsconfig.json": '{"compilerOptions": {"baseUrl": "src"}}\n'}
