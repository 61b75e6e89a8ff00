"""`pharos-desktop graph REPO [--level folder|file|symbol] [--format json|dot]`: the map of a repository.

JSON for programs (engine/graph's Graph, as is); DOT for Graphviz (``dot -Tsvg``), files clustered by folder.
"""

from __future__ import annotations

import json
import sys

from ..engine.graph import LEVELS, Graph, build_graph
from .output import print_json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("graph", help="a repository's imports and references, as JSON or DOT")
    parser.add_argument("repo", help="repository name or id")
    parser.add_argument("--level", choices=LEVELS, default="file",
                        help="folders, files (default) or symbols as the graph's nodes")
    parser.add_argument("--format", choices=("json", "dot"), default="json")


def run(args, workspace) -> int:
    repo = workspace.catalog.get_repo(args.repo)
    graph = build_graph(workspace.catalog, repo, args.level)
    if args.format == "json":
        print_json(graph.to_dict())
    else:
        sys.stdout.write(dot(graph))
    return 0


def dot(graph: Graph) -> str:
    lines = [f"digraph {_quote(graph.repo)} {{", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    clusters: dict[str, list[str]] = {}
    for node in graph.nodes:
        line = f"    {_quote(node.id)} [label={_quote(node.label)}];"
        clusters.setdefault(node.folder if graph.level != "folder" else "", []).append(line)
    for n, (folder, members) in enumerate(sorted(clusters.items())):
        if folder:
            lines += [f"  subgraph cluster_{n} {{", f"    label={_quote(folder)};", *members, "  }"]
        else:
            lines += [member[2:] for member in members]
    for edge in graph.edges:
        attributes = [f"label={_quote(str(edge.weight))}"] if edge.weight > 1 else []
        if edge.confidence:
            attributes.append("style=dashed" if edge.confidence == "ambiguous" else "style=solid")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}{suffix};")
    return "\n".join(lines) + "\n}\n"


def _quote(text: str) -> str:
    return json.dumps(text)  # a DOT string is a double-quoted string with backslash escapes
