"""The map the window draws: a repository's files placed on a plane, clustered by folder, by networkx's
force-directed layout (``spring_layout``). Plain data, made off the UI thread; the window only paints it.

A repository of more than FOLD_ABOVE files opens folded: one node per folder, and the user opens the folders
to see (``opened``). Each folder of shown files is pulled together by a hidden hub node that all its files
hang on, and each folder's hub hangs on its parent folder's, so that the tree shapes the picture and the
imports bend it.
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx

from ..index.catalog import Catalog, RepoRecord
from . import build_graph

FOLD_ABOVE = 150  # files: a larger repository opens as folders
SPACING = 70.0  # scene units between neighbouring nodes
_HUB_WEIGHT, _TREE_WEIGHT = 4.0, 1.5  # a file to its folder's hub, a folder's hub to its parent's
_SEED = 27  # the same repository gives the same picture each time


@dataclass
class MapNode:
    id: str  # a file's path, or a folded folder's path and "/" ("./" for the root)
    kind: str  # file | folder
    label: str
    folder: str  # a file's folder, a folded folder's own path ("" for the root)
    language: str
    chunks: int
    files: list[str]  # the files it stands for: itself, or a folded folder's files (search looks through them)
    x: float = 0.0
    y: float = 0.0
    radius: float = 0.0


@dataclass
class MapCluster:
    folder: str  # an opened folder ("" for the root)
    x: float
    y: float
    radius: float  # a circle around its files


@dataclass
class RepoMap:
    repo_id: str
    repo: str
    files: int  # indexed files in the repository
    folders: int
    folded: bool  # whether some folders are shown as one node each
    nodes: list[MapNode] = field(default_factory=list)
    edges: list[tuple[str, str, int]] = field(default_factory=list)  # importer, imported, imports
    clusters: list[MapCluster] = field(default_factory=list)
    languages: Counter = field(default_factory=Counter)  # language -> files

    def node(self, node_id: str) -> MapNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)


def folder_id(folder: str) -> str:
    return (folder or ".") + "/"


def build_map(catalog: Catalog, repo: RepoRecord, opened: frozenset[str] | set[str] = frozenset(),
              fold_above: int | None = None) -> RepoMap:
    """``opened``: the folders ("" for the root) whose files to show when the repository is folded."""
    fold_above = FOLD_ABOVE if fold_above is None else fold_above
    graph = build_graph(catalog, repo, "file")
    by_folder: dict[str, list] = defaultdict(list)
    for node in graph.nodes:
        by_folder[node.folder].append(node)
    folded = len(graph.nodes) > fold_above
    shown = {folder for folder in by_folder if not folded or folder in opened}
    result = RepoMap(repo.repo_id, repo.name, len(graph.nodes), len(by_folder), folded and shown != set(by_folder))
    result.languages = Counter(n.language or "text" for n in graph.nodes)
    owner: dict[str, str] = {}  # file -> the node that shows it
    for folder, members in sorted(by_folder.items()):
        if folder in shown:
            for member in members:
                owner[member.id] = member.id
                result.nodes.append(MapNode(member.id, "file", member.label, folder, member.language or "text",
                                            member.chunks, [member.id], radius=_radius(member.chunks)))
            continue
        node_id = folder_id(folder)
        languages = Counter(m.language or "text" for m in members)
        chunks = sum(m.chunks for m in members)
        for member in members:
            owner[member.id] = node_id
        result.nodes.append(MapNode(node_id, "folder", (folder or ".") + "/", folder, languages.most_common(1)[0][0],
                                    chunks, [m.id for m in members], radius=_radius(chunks, 1.4)))
    counts: Counter[tuple[str, str]] = Counter()
    for edge in graph.edges:
        source, target = owner.get(edge.source), owner.get(edge.target)
        if source and target and source != target:
            counts[(source, target)] += edge.weight
    result.edges = [(s, t, n) for (s, t), n in sorted(counts.items())]
    _place(result, shown)
    return result


def _radius(chunks: int, scale: float = 1.0) -> float:
    return scale * min(8.0 + 2.2 * math.sqrt(chunks), 48.0)


def _place(result: RepoMap, shown: set[str]) -> None:
    """Positions from spring_layout on the nodes, their imports, and one hub per opened folder."""
    g = nx.Graph()
    for node in result.nodes:
        g.add_node(node.id)
    hubs = {folder: "hub:" + folder for folder in shown}
    anchors = {**hubs, **{n.folder: n.id for n in result.nodes if n.kind == "folder"}}  # folder -> its node
    for node in result.nodes:
        if node.kind == "file":
            g.add_edge(node.id, hubs[node.folder], weight=_HUB_WEIGHT)
    for folder, anchor in anchors.items():
        parent = _nearest_shown_parent(folder, anchors)
        if parent is not None:
            g.add_edge(anchor, anchors[parent], weight=_TREE_WEIGHT)
    for source, target, count in result.edges:
        weight = 1.0 + math.log(count)
        if g.has_edge(source, target):
            weight += g[source][target]["weight"]
        g.add_edge(source, target, weight=weight)
    if len(g) == 0:
        return
    positions = nx.spring_layout(g, weight="weight", seed=_SEED, iterations=80, k=1.2 / math.sqrt(len(g)))
    scale = SPACING * math.sqrt(len(g)) * 1.2
    for node in result.nodes:
        x, y = positions[node.id]
        node.x, node.y = float(x) * scale, float(y) * scale
    members: dict[str, list[MapNode]] = defaultdict(list)
    for node in result.nodes:
        if node.kind == "file":
            members[node.folder].append(node)
    for folder, nodes in sorted(members.items()):
        cx = sum(n.x for n in nodes) / len(nodes)
        cy = sum(n.y for n in nodes) / len(nodes)
        reach = max(math.hypot(n.x - cx, n.y - cy) + n.radius for n in nodes)
        result.clusters.append(MapCluster(folder, cx, cy, reach + 14.0))


def _nearest_shown_parent(folder: str, anchors: dict[str, str]) -> str | None:
    while folder:
        folder = posixpath.dirname(folder)
        if folder in anchors:
            return folder
    return None
