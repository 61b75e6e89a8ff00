"""Embedding runtimes: the int8 ONNX and OpenVINO graphs made offline and cached, loaded from a bundle, chosen
per device, recorded per repository, and the torch-free query path of the command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pharos_desktop.engine.model import embedder as embedder_module
from pharos_desktop.engine.model import export, graphs, onnx_model, openvino_model
from pharos_desktop.engine.model.embedder import Embedder, bundled_model_path, choose_runtime, model_cache_dir
from pharos_desktop.engine.errors import ModelError
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.query.search import Searcher
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.workspace import Workspace
from pharos_desktop.tools.sample_repos import add_commit

from .repo_factory import make_sample_repo

LOAD_AND_REPORT = """
import json, sys
from pharos_desktop.engine.model.embedder import Embedder
from pharos_desktop.engine.settings import Settings
embedder = Embedder.load(Settings.load())
vector = embedder.embed_query("where is the retry delay computed")
print(json.dumps({"runtime": embedder.made_by, "torch": "torch" in sys.modules, "norm": float((vector ** 2).sum())}))
"""


def child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_NO_RESIDENT"}
    env.update(extra)
    return env


def run_python(code: str, env: dict, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("runtime", ["onnx-int8", "openvino-int8"])
def test_graph_is_made_offline_once_then_loaded_from_the_cache_without_torch(tmp_path, runtime):
    cache = tmp_path / "models"
    env = child_env(PHAROS_HOME=str(tmp_path / "home"), PHAROS_MODEL_CACHE=str(cache), HF_HUB_OFFLINE="1",
                    TRANSFORMERS_OFFLINE="1", HF_HOME=str(tmp_path / "empty-hf-cache"), PHAROS_RUNTIME=runtime)
    made = run_python(LOAD_AND_REPORT, env)
    assert made["runtime"] == runtime and abs(made["norm"] - 1) < 1e-3
    graph_files = list(cache.glob(f"*/{graphs.KINDS[runtime].graph}"))
    assert len(graph_files) == 1 and not list(cache.glob(".export-*")), "one graph, no half-made folder left"
    made_at = graph_files[0].stat().st_mtime_ns
    assert not (tmp_path / "empty-hf-cache").exists() or not any((tmp_path / "empty-hf-cache").rglob("*.safetensors"))

    again = run_python(LOAD_AND_REPORT, env)
    assert again == {**made, "torch": False}, "the cached graph loads without torch"
    assert graph_files[0].stat().st_mtime_ns == made_at


def test_a_half_made_or_stale_cache_is_not_trusted(tmp_path):
    model = bundled_model_path()
    ready = export.ensure_graph(model, model_cache_dir())
    assert graphs.cached_graph(model, model_cache_dir()) == ready
    broken = tmp_path / "cache" / ready.name
    shutil.copytree(ready, broken)
    (broken / "pharos_onnx.json").unlink()  # what a killed export could leave if it were not renamed into place
    assert graphs.cached_graph(model, tmp_path / "cache") is None
    info = json.loads((ready / "pharos_onnx.json").read_text())
    (broken / "pharos_onnx.json").write_text(json.dumps({**info, "fingerprint": "made-from-other-weights"}))
    assert graphs.cached_graph(model, tmp_path / "cache") is None


def test_graph_shipped_in_the_bundle_is_used(tmp_path, monkeypatch):
    ready = export.ensure_graph(bundled_model_path(), model_cache_dir())
    bundle = tmp_path / "bundle"
    shutil.copytree(ready, bundle / "pharos_onnx")  # where build.spec puts it
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    empty_cache = tmp_path / "no-cache"
    assert graphs.cached_graph(bundled_model_path(), empty_cache) == bundle / "pharos_onnx"
    model = onnx_model.OnnxModel(export.ensure_graph(bundled_model_path(), empty_cache))
    assert model.encode(["def retry(): pass"], 8).shape == (1, 384)
    assert not empty_cache.exists(), "nothing exported when the bundle has the graph"


def test_openvino_graph_shipped_in_the_bundle_is_used_and_both_graphs_share_a_cache(tmp_path, monkeypatch):
    model, runtime = bundled_model_path(), openvino_model.RUNTIME
    onnx_ready = export.ensure_graph(model, model_cache_dir())
    ready = export.ensure_graph(model, model_cache_dir(), runtime)
    assert ready != onnx_ready and graphs.cached_graph(model, model_cache_dir()) == onnx_ready, \
        "making one runtime's graph never removes the other's"
    bundle = tmp_path / "bundle"
    shutil.copytree(ready, bundle / "pharos_openvino")  # where build.spec puts it
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    empty_cache = tmp_path / "no-cache"
    assert graphs.cached_graph(model, empty_cache, runtime) == bundle / "pharos_openvino"
    assert graphs.cached_graph(model, empty_cache) is None, "the ONNX graph is not taken for OpenVINO's"
    vectors = openvino_model.OpenVinoModel(export.ensure_graph(model, empty_cache, runtime)).encode(
        ["def retry(): pass", "retry the request after a delay"], 8)
    queries = onnx_model.OnnxModel(onnx_ready).encode(["def retry(): pass", "retry the request after a delay"], 8)
    assert vectors.shape == (2, 384) and min((vectors * queries).sum(1)) > 0.95, "both graphs embed alike"
    assert not empty_cache.exists(), "nothing exported when the bundle has the graph"


def test_openvino_calibrates_on_local_code(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    code = "".join(f"def step_{n}(value):\n    return value + {n}\n" for n in range(80))
    (package / "steps.py").write_text(code)
    texts = openvino_model.calibration_texts(package, limit=1000)
    assert len(texts) > 1 and all(t.startswith("(steps)\n[python] code of pkg/steps.py (from line ") for t in texts)
    assert "def step_0(" in "".join(texts) and "def step_79(" in "".join(texts), "the whole file, in windows"
    assert len(openvino_model.calibration_texts(package, limit=2)) == 2
    assert len(openvino_model.calibration_texts()) == openvino_model.CALIBRATION_CHUNKS, "this package's own code"


TELEMETRY = """
import json, os
from pharos_desktop.engine.model import openvino_model
openvino_model.import_nncf()
import openvino_telemetry
from nncf.telemetry import wrapper
print(json.dumps({"openvino": openvino_telemetry.Telemetry().consent, "ci": os.environ.get("CI"),
                  "nncf": isinstance(wrapper.telemetry, wrapper.NNCFTelemetry)}))
"""


def test_openvino_and_its_export_send_no_telemetry(tmp_path):
    """openvino (at import) and NNCF report to Google Analytics unless switched off, from a forked child that
    can hang (ingest children left such processes behind). Run where pytest is not imported: NNCF turns
    itself off under pytest."""
    env = child_env(PHAROS_HOME=str(tmp_path / "home"))
    env.pop("CI", None)  # as on a user's machine (CI runs set it, and it is the switch being tested)
    report = run_python(TELEMETRY, env)
    assert report == {"openvino": False, "ci": None, "nncf": False}, "off, and CI set for the import only"


def test_batching_by_length_does_not_change_vectors(monkeypatch):
    """Texts are padded per batch and long ones go in smaller batches: a text's vector must barely depend on
    its neighbours. Not exactly: int8 activations are scaled per batch (cosine >= 0.97 measured); a wrong
    attention mask or padding would pool a short text with hundreds of pads and land far lower."""
    import numpy as np

    model = onnx_model.OnnxModel(export.ensure_graph(bundled_model_path(), model_cache_dir()))
    texts = ["def f(): pass", "x", "class Parser:\n    " + "def parse(self, text): return text.split()\n    " * 40,
             "retry the request after a delay " * 3]
    together = model.encode(texts, batch_size=64)
    monkeypatch.setattr(onnx_model, "TOKENS_PER_BATCH", 300)  # forces the long text into a batch of its own
    apart = model.encode(texts, batch_size=64)
    one_by_one = np.stack([model.encode([text], batch_size=1)[0] for text in texts])
    assert min((together * one_by_one).sum(1)) > 0.95 and min((apart * one_by_one).sum(1)) > 0.95
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-3)


def test_batches_take_few_shapes():
    """Every batch is padded to one of a few shapes, whatever lengths the texts have: the runtime keeps what it
    made for each shape it meets (OpenVINO about 8 MB a shape), so an ingest fed every width grew by gigabytes."""
    import random

    draw = random.Random(0)
    lengths = sorted(draw.randint(1, 300) for _ in range(5000))
    shapes = onnx_model.batch_shapes([min(n, 256) for n in lengths], batch_size=64, max_tokens=256)
    assert sum(rows for rows, _ in shapes) == len(lengths)
    start = 0
    for rows, width in shapes:
        assert width >= min(lengths[start + rows - 1], 256), "a batch fits its longest text"
        assert width % onnx_model.WIDTH_STEP == 0 or width in (onnx_model.MIN_WIDTH, 256)
        assert width != 32, "OpenVINO encodes exactly 32 tokens wrongly"
        assert rows & (rows - 1) == 0 and rows <= 64 and (rows == 1 or rows * width <= onnx_model.TOKENS_PER_BATCH)
        start += rows
    assert len(set(shapes)) <= 8 * 7, "8 widths (48, 64, 96 ... 256) x 7 powers of two up to 64"


def test_batches_as_wide_as_their_texts_where_shapes_may_be_many():
    """``few=False`` (ONNX Runtime): a batch takes the texts that fit and is exactly as wide as its longest."""
    import random

    draw = random.Random(1)
    lengths = sorted(draw.randint(2, 256) for _ in range(3000))
    shapes = onnx_model.batch_shapes(lengths, batch_size=64, max_tokens=256, few=False)
    assert sum(rows for rows, _ in shapes) == len(lengths)
    start = 0
    for rows, width in shapes:
        assert width == lengths[start + rows - 1], "no padding: the width of its longest text"
        assert rows <= 64 and rows * width <= onnx_model.TOKENS_PER_BATCH
        start += rows
    assert len(set(shapes)) > 100  # the shapes many texts happen to have: what OpenVINO must not be fed


@pytest.mark.parametrize("runtime", ["onnx-int8", "openvino-int8"])
def test_what_each_runtime_is_fed_and_padding_keeps_vectors(monkeypatch, runtime):
    """Texts of 300 different lengths reach OpenVINO in a few shapes, and a text padded to its batch's width
    (attention mask 0) keeps its vector: OpenVINO's activation scales are fixed, so the same vector (cosine >=
    0.999). ONNX Runtime keeps nothing per shape, so it gets batches as wide as their longest text, unpadded; its
    int8 activations are scaled per batch, so a batch of other texts moves a vector a little (cosine ~0.99)."""
    import numpy as np

    openvino = runtime == openvino_model.RUNTIME
    model_class = openvino_model.OpenVinoModel if openvino else onnx_model.OnnxModel
    model = model_class(export.ensure_graph(bundled_model_path(), model_cache_dir(), runtime))
    texts = [f"def step_{n}(value):\n    return value" + " + value * 2" * n for n in range(300)]
    length = {text: len(model._tokenizer.encode(text).ids) for text in texts}
    seen, widest = set(), []
    run = model._run

    def watched(feed):
        seen.add(feed["input_ids"].shape)
        widest.append((feed["input_ids"].shape[1], int(feed["attention_mask"].sum(1).max())))
        return run(feed)

    monkeypatch.setattr(model, "_run", watched)
    for size in range(1, 13):  # calls of 1 to 12 texts of many lengths, as pools of a real ingest end
        for start in range(0, 300, 23):
            model.encode(texts[start:start + size], batch_size=64)
    if openvino:
        assert len(seen) <= 8 * 4, f"{len(seen)} shapes: more than widths 48, 64, 96 ... 256 x rows 1, 2, 4, 8"
    else:
        assert all(width == longest for width, longest in widest), "ONNX Runtime's batches are not padded"
        assert len(seen) > 8 * 4
    together = model.encode(texts, batch_size=64)
    monkeypatch.setattr(onnx_model, "WIDTH_STEP", 1)  # each text alone at its own length: no padding at all
    monkeypatch.setattr(onnx_model, "MIN_WIDTH", 1)
    alone = np.stack([model.encode([text], batch_size=1)[0] for text in texts])
    # Unpadded at exactly 32 tokens is what OpenVINO gets wrong (MIN_WIDTH): no reference for those.
    fair = [n for n, text in enumerate(texts) if length[text] != 32]
    assert len(fair) >= 290
    assert min((together[fair] * alone[fair]).sum(1)) >= (0.999 if openvino else 0.98)


def test_runtime_by_device_and_setting(monkeypatch):
    model = str(bundled_model_path())
    auto = Settings()
    monkeypatch.setattr(openvino_model, "int8_dot_product", lambda: True)  # as on a CPU with VNNI
    assert choose_runtime(auto, "cpu", model) == "openvino-int8"  # installed here: the fastest there
    monkeypatch.setattr(openvino_model, "int8_dot_product", lambda: False)  # as on an AVX2-only CPU
    assert choose_runtime(auto, "cpu", model) == "onnx-int8"  # ONNX Runtime's int8 is the faster there
    assert choose_runtime(replace(auto, runtime="openvino-int8"), "cpu", model) == "openvino-int8"  # when asked
    monkeypatch.setattr(openvino_model, "int8_dot_product", lambda: True)
    assert choose_runtime(auto, "cuda", model) == "torch"  # a GPU keeps torch (fp16 on CUDA)
    assert choose_runtime(auto, "mps", model) == "torch"
    assert choose_runtime(auto, "cpu", None) == "torch"  # a model in the HF cache only: no local folder to export
    assert choose_runtime(replace(auto, runtime="torch"), "cpu", model) == "torch"
    with pytest.raises(ModelError, match="runs on the CPU"):
        choose_runtime(replace(auto, runtime="onnx-int8", device="cuda"), "cuda", model)
    with pytest.raises(ModelError, match="local sentence-transformers folder"):
        choose_runtime(replace(auto, runtime="onnx-int8"), "cpu", None)
    with pytest.raises(ModelError, match="runs on the CPU"):
        choose_runtime(replace(auto, runtime="openvino-int8", device="mps"), "mps", model)
    monkeypatch.setattr(openvino_model, "can_run", lambda: False)  # as where openvino is not installed
    assert choose_runtime(auto, "cpu", model) == "onnx-int8"
    with pytest.raises(ModelError, match="needs the openvino package"):
        choose_runtime(replace(auto, runtime="openvino-int8"), "cpu", model)


def test_int8_dot_product_instructions_are_read_from_the_cpu_flags():
    flags = "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma {}\nbugs\t\t: spectre_v1\n"
    assert openvino_model.vnni_in(flags.format("avx512f avx512_vnni")) is True  # Cascade Lake onwards, Zen 4
    assert openvino_model.vnni_in(flags.format("avx_vnni")) is True  # Alder Lake onwards, without AVX-512
    assert openvino_model.vnni_in(flags.format("bmi2")) is False  # AVX2 only: Zen 1-3, Skylake
    assert openvino_model.vnni_in("processor\t: 0\nFeatures\t: fp asimd asimddp\n") is None  # no x86 flags line


def test_cpu_only_torch_is_known_without_importing_it():
    assert embedder_module._torch_may_have_gpu() is False  # this venv has the CPU wheel
    assert embedder_module.pick_device("auto") == "cpu"


def ingest(workspace, source):
    return Ingestor(workspace).ingest(str(source), task=Task("ingest"))


def test_switching_runtime_keeps_vectors_and_records_the_mix(tmp_path, pharos_home):
    """torch fp32, OpenVINO int8 and ONNX int8 (queries) vectors of one model search alike
    (bench/bench_ingest.py measures it), so a runtime switch re-embeds nothing that is unchanged; the
    repository records both makers."""
    sample = make_sample_repo(tmp_path / "sample")
    with_torch = Workspace(pharos_home, Settings(runtime="torch"))
    first = ingest(with_torch, sample)
    assert with_torch.catalog.find_repo(first.repo_id).runtime == "torch-fp32"

    add_commit(sample, {"pkg/brand_new.py": "def freshly_added_helper():\n    return 42\n"}, "add")
    with_onnx = Workspace(pharos_home, Settings(runtime="auto"))  # this CPU's int8 graph
    cpu_runtime = embedder_module.cpu_graph_runtime(str(bundled_model_path()))
    second = ingest(with_onnx, sample)
    assert 0 < second.embedded < first.embedded, "only the new file is embedded"
    assert with_onnx.catalog.find_repo(first.repo_id).runtime == "+".join(sorted([cpu_runtime, "torch-fp32"]))
    assert with_onnx.query_embedder().made_by == cpu_runtime, "queries on the graph documents are made with"
    hits = Searcher(with_onnx).search("freshly added helper", limit=3, mode="vector")
    assert hits[0].symbol == "freshly_added_helper"
    torch_made = Searcher(with_onnx).search("hide passwords and tokens in a string", limit=3, mode="vector")
    assert torch_made[0].symbol == "redact_secrets", "the int8 graph's queries find torch-made vectors"
    with_onnx_only = Workspace(pharos_home, Settings(runtime="onnx-int8"))
    assert with_onnx_only.query_embedder().made_by == "onnx-int8"
    assert Searcher(with_onnx_only).search("freshly added helper", limit=3, mode="vector")[0].symbol == \
        "freshly_added_helper", "ONNX queries find the CPU graph's vectors"


SEARCH_AND_REPORT = """
import json, sys
from pharos_desktop.cli import main
code = main(["search", "configuration file", "--json", "--limit", "3"])
# What a search has no use for once the queries' graph is made: torch, the slower-starting OpenVINO, the export,
# the jobs table (and the psutil it needs).
heavy = sorted(name for name in ("torch", "transformers", "sentence_transformers", "openvino",
                                 "pharos_desktop.engine.model.export", "pharos_desktop.engine.jobs", "psutil")
               if name in sys.modules)
print(json.dumps({"code": code, "heavy": heavy, "onnxruntime": "onnxruntime" in sys.modules}))
"""


def test_command_line_search_imports_only_the_runtime_that_starts_fastest(tmp_path, pharos_home, model_cache):
    """Documents embedded with OpenVINO, queries with ONNX Runtime's graph of the same weights (its import, load and
    first query cost half of OpenVINO's in a fresh process); never torch."""
    sample = make_sample_repo(tmp_path / "sample")
    ingest(Workspace(pharos_home), sample)
    env = child_env(PHAROS_HOME=str(pharos_home), PHAROS_MODEL_CACHE=str(model_cache))
    report = run_python(SEARCH_AND_REPORT, env)
    assert report == {"code": 0, "heavy": [], "onnxruntime": True}


@pytest.mark.slow
def test_the_queries_graph_is_made_in_the_background_by_an_ingest_not_by_a_search(tmp_path, pharos_home,
                                                                                  model_cache, monkeypatch):
    """A data folder whose documents' graph (OpenVINO) was made before the queries' graph existed: searches use the
    documents' graph meanwhile; the next ingest starts making the queries' graph, and once made, queries use it."""
    model = bundled_model_path()
    runtime = embedder_module.cpu_graph_runtime(str(model))
    if runtime == embedder_module.QUERY_RUNTIME:
        pytest.skip("documents are embedded with the queries' runtime here: nothing to make")
    cache = tmp_path / "models"
    documents_graph = graphs.cached_graph(model, model_cache, runtime)
    shutil.copytree(documents_graph, cache / documents_graph.name)
    monkeypatch.setenv("PHAROS_MODEL_CACHE", str(cache))
    monkeypatch.setattr(embedder_module, "_cache", {})  # models loaded by earlier tests: this folder has none
    started = []
    real_start = export.make_in_background
    monkeypatch.setattr(export, "make_in_background", lambda *args: started.append(args[2]) or real_start(*args))
    workspace = Workspace(pharos_home, Settings())
    assert workspace.query_embedder().made_by == runtime, "the documents' graph until the queries' one is made"
    assert started == [], "a search starts no export"

    ingest(workspace, make_sample_repo(tmp_path / "sample"))
    assert started == [embedder_module.QUERY_RUNTIME], "the ingest started making the queries' graph"
    deadline = time.monotonic() + 580  # the export itself: generous, it is not what this test measures
    while graphs.cached_graph(model, cache, embedder_module.QUERY_RUNTIME) is None and time.monotonic() < deadline:
        time.sleep(1)
    monkeypatch.setattr(embedder_module, "_cache", {})
    assert Workspace(pharos_home, Settings()).query_embedder().made_by == embedder_module.QUERY_RUNTIME
    assert Searcher(Workspace(pharos_home, Settings())).search("hide passwords and tokens in a string", limit=3,
                                                               mode="vector")[0].symbol == "redact_secrets"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads a process's niceness from /proc")
def test_window_ingest_child_runs_at_low_priority(tmp_path, pharos_home, model_cache):
    sample = make_sample_repo(tmp_path / "sample")
    env = child_env(PHAROS_HOME=str(pharos_home), PHAROS_MODEL_CACHE=str(model_cache))
    child = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "ingest", str(sample), "--events"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ours, seen = os.getpriority(os.PRIO_PROCESS, 0), set()
    while child.poll() is None:
        try:
            seen.add(int(Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[16]))
        except (OSError, IndexError, ValueError):
            pass
        time.sleep(0.02)
    assert child.returncode == 0
    assert min(ours + 10, 19) in seen


def test_a_model_nobody_asked_for_lately_is_released_and_loaded_again_when_needed(tmp_path):
    """`pharos-desktop watch` lets its model go between bursts of work (cli/watch.py)."""
    workspace = Workspace(tmp_path / "home", replace(Settings(), runtime="torch"))
    first = workspace.embedder()
    assert not workspace.release_models(3600)  # asked for just now: kept
    assert workspace.embedder() is first
    assert workspace.release_models(0)
    again = workspace.embedder()
    assert again is not first and len(again.embed_query("ring the bell")) == again.dim


def test_torch_on_a_cpu_embeds_in_the_graphs_batches(monkeypatch):
    """Torch standing in for the graph on a CPU keeps to the same token budget a batch (its attention scores
    were what took the window's first ingest over 1.2 GB), and each text keeps its own vector, in order."""

    embedder = Embedder._load(Settings(runtime="torch", device="cpu"))
    texts = ["class Parser:\n    " + "def parse(self, text): return text.split()\n    " * 40, "x",
             "retry the request after a delay " * 3, "def f(): pass"] * 20  # 20 x 256 tokens: over one budget
    seen = []
    plain = embedder._torch
    monkeypatch.setattr(embedder, "_torch", lambda batch, rows: seen.append(batch) or plain(batch, rows))
    shaped = embedder.embed_documents(texts)
    whole = plain(texts, 64)
    assert len(seen) > 1 and sorted(t for batch in seen for t in batch) == sorted(texts)
    tokens = {t: len(ids) for t, ids in zip(texts, embedder._model.tokenizer(texts, truncation=True,
                                                                              max_length=256)["input_ids"])}
    assert tokens[texts[0]] == 256 and all(
        len(batch) == 1 or len(batch) * max(tokens[t] for t in batch) <= onnx_model.TOKENS_PER_BATCH for batch in seen)
    assert min((shaped * whole).sum(1)) > 0.999, "the same vector for each text, in the caller's order"
    assert embedder.embed_documents([]).shape == (0, embedder.dim)
