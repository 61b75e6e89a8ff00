"""`pharos-desktop doctor [--json] [--repair]`: the device, torch, model, grammars, data folder and index
size, and whether the index is whole; --repair rebuilds a damaged catalog from what can still be read."""

from __future__ import annotations

from .output import print_json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="check the machine: GPU/CPU, model, grammars, data folder")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-model", action="store_true", help="do not load the embedding model")
    parser.add_argument("--repair", action="store_true",
                        help="rebuild a damaged catalog from what can still be read of it (the damaged file is "
                             "kept aside) and name the ingests that restore what it lost")


def _runtime_line(report: dict) -> str:
    made = ", ".join(f"{runtime} ({n} repositories)" for runtime, n in report["index_runtimes"].items())
    line = report["runtime"] or "not loaded"
    if report["runtime"] and report["query_runtime"] != report["runtime"]:
        line += f", queries {report['query_runtime']}"
    return f"{line} (setting: {report['runtime_setting']})" + (f"; index made by {made}" if made else "")


def run(args, workspace) -> int:
    from ..engine.doctor import diagnose  # here, not at the top: a search must not pay for it (see cli/ingest.py)

    report = diagnose(workspace, load_model=not args.no_model)
    if args.json:
        print_json(report)
        return 0 if report["ok"] else 1
    broken = {lang: err for lang, err in report["grammars"].items() if err}
    lines = [
        ("device", report["device"] + (f" ({report['gpu']})" if report["gpu"] else "")),
        ("torch", report["torch"]),
        ("model", f"{report['model']} ({report['dim']}-dim)" if report["dim"] else report["model"]),
        ("runtime", _runtime_line(report)),
        ("grammars", f"{len(report['grammars']) - len(broken)}/{len(report['grammars'])} load: "
                     + ", ".join(lang for lang, err in report["grammars"].items() if not err)),
        ("data folder", report["data_folder"]),
        ("vectors", report["vectors"]),
        ("index", f"{report['repos']} repositories, {report['chunks']} chunks, {report['index_bytes'] / 1e6:.1f} MB"),
        ("log file", report["log_file"]),
        ("resources", report["resources"]),
    ]
    for label, value in lines:
        print(f"{label:<12} {value}")
    for lang, err in broken.items():
        print(f"grammar {lang}: {err}")
    for problem in report["problems"]:
        print(f"problem: {problem}")
    return 0 if report["ok"] else 1


def repair(args) -> int:
    """Runs without a workspace: opening one is what a damaged catalog stops."""
    from ..engine.catalog_repair import repair_catalog
    from ..engine.logs import setup_logging
    from ..engine.settings import data_folder

    folder = data_folder()
    setup_logging(folder / "logs", verbose=args.verbose)
    report = repair_catalog(folder)
    if not report.problem:
        print(f"the catalog {report.catalog} is healthy: nothing to repair")
    else:
        print(f"the catalog {report.catalog} was damaged ({report.problem})")
        print(f"the damaged file is kept as {report.moved_to}")
        if report.tables is None:
            print("nothing could be read from it: the new catalog is empty")
        else:
            print("a new catalog holds every row that could still be read:")
            for count in report.tables:
                lost = "an unknown number" if count.lost is None else f"{count.lost:,}"
                print(f"  {count.table:<11} {count.kept:>7,} kept, {lost} lost")
            print("the keyword index was built again from the chunks kept")
    if report.restorable:
        print("to restore what the catalog lacks, ingest again:")
    for found in report.restorable:
        print(f"  {found.command}  ({found.holds})" if found.command else
              f"  {found.repo_id} ({found.holds}): its source is not on record; ingest it by its URL or folder")
    return 0
