"""The map the window draws: a repository's files placed on a plane, clustered by folder, by networkx's
force-directed layouts. Plain data, made off the UI thread; the window only paints it.

A repository of more than FOLD_ABOVE files opens folded: one node per folder, and the user opens the folders
to see (``opened``). Each opened folder is a disc of its files; the discs and the folded folders are then
placed so that none overlaps, the folder tree and the imports between them pulling them together.
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..index.catalog import Catalog, RepoRecord
from . import build_graph

FOLD_ABOVE = 150  # files: a larger repository opens as folders
SPACING = 70.0  # scene units between neighbouring nodes
_TREE_WEIGHT = 1.0  # a folder to its parent folder, beside the imports between them
_PADDING = 16.0  # around an opened folder's files
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
        label = "/".join(folder.split("/")[-2:]) or "."  # its place on the map says the rest
        result.nodes.append(MapNode(node_id, "folder", label + "/", folder, languages.most_common(1)[0][0],
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
    """Two steps, both networkx's: each opened folder's files by spring_layout around the folder's centre, then
    the folders (each opened one as a disc, each folded one as its node) by forceatlas2_layout with their sizes,
    so that no two overlap, pulled together by the imports between them and by the folder tree."""
    members: dict[str, list[MapNode]] = defaultdict(list)  # folder -> its nodes: its files, or itself folded
    for node in result.nodes:
        members[node.folder].append(node)
    unit_of = {n.id: n.folder for n in result.nodes}
    offsets: dict[str, tuple[float, float]] = {}
    radius: dict[str, float] = {}
    for unit, nodes in members.items():
        if len(nodes) == 1:
            offsets[nodes[0].id] = (0.0, 0.0)
            radius[unit] = nodes[0].radius + (_PADDING if nodes[0].kind == "file" else 4.0)
            continue
        inside = nx.Graph()
        inside.add_nodes_from(n.id for n in nodes)
        inside.add_edges_from((s, t) for s, t, _n in result.edges if unit_of[s] == unit == unit_of[t])
        spread = SPACING * 0.55 * math.sqrt(len(nodes))
        placed = nx.spring_layout(inside, seed=_SEED, iterations=60, k=1.2 / math.sqrt(len(nodes)))
        offsets.update({node_id: (float(x) * spread, float(y) * spread) for node_id, (x, y) in placed.items()})
        radius[unit] = max(math.hypot(*offsets[n.id]) + n.radius for n in nodes) + _PADDING
    units = nx.Graph()
    units.add_nodes_from(members)
    for unit in members:
        parent = _nearest_shown_parent(unit, members)
        if parent is not None:
            units.add_edge(unit, parent, weight=_TREE_WEIGHT)
    for source, target, count in result.edges:
        a, b = unit_of[source], unit_of[target]
        if a != b:
            weight = units[a][b]["weight"] if units.has_edge(a, b) else 0.0
            units.add_edge(a, b, weight=weight + math.log1p(count))
    start = nx.spring_layout(units, weight="weight", seed=_SEED, iterations=60)
    scale = math.sqrt(sum(r * r for r in radius.values())) / SPACING  # about the picture's width, in units
    start = {u: xy * scale for u, xy in start.items()}
    centres = nx.forceatlas2_layout(units, pos=start, max_iter=300, weight="weight", seed=_SEED,
                                    node_size={u: r / SPACING for u, r in radius.items()}, gravity=4.0,
                                    scaling_ratio=1.0)
    centres = _apart(centres, {u: r / SPACING for u, r in radius.items()})
    for node in result.nodes:
        cx, cy = centres[unit_of[node.id]]
        dx, dy = offsets[node.id]
        node.x, node.y = float(cx) * SPACING + dx, float(cy) * SPACING + dy
    for unit, nodes in sorted(members.items()):
        if nodes[0].kind == "file":
            cx, cy = centres[unit]
            result.clusters.append(MapCluster(unit, float(cx) * SPACING, float(cy) * SPACING, radius[unit]))


def _apart(centres: dict, radius: dict[str, float], rounds: int = 60) -> dict:
    """The discs moved apart where forceatlas2 left two overlapping (its size adjustment stops at max_iter):
    each overlapping pair pushed apart along the line between them, half the overlap each, a few rounds."""
    units = list(centres)
    xy = np.array([centres[u] for u in units], dtype=float)
    r = np.array([radius[u] for u in units])
    gap = 0.4  # between two discs, in SPACING units
    for _ in range(rounds):
        delta = xy[:, None, :] - xy[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=-1), 1e-6)
        overlap = r[:, None] + r[None, :] + gap - distance
        np.fill_diagonal(overlap, 0.0)
        overlap = np.maximum(overlap, 0.0)
        if not overlap.any():
            break
        xy += (delta / distance[..., None] * (overlap / 2)[..., None]).sum(axis=1)
    return dict(zip(units, xy))


def _nearest_shown_parent(folder: str, shown: dict) -> str | None:
    while folder:
        folder = posixpath.dirname(folder)
        if folder in shown:
            return folder
    return None
