"""The map's picture: a QGraphicsView of one RepoMap (engine/graph/layout.py), already laid out on a worker.

Files are circles sized by chunks and coloured by language, folded folders rounded squares, each opened
folder a pale disc behind its files; all imports are one path item, and the selected node's imports another.
The lines and the bounds are made on the worker too (``prepare``), and items are added to a scene out of sight a
few milliseconds per turn of the event loop, so that a large map never holds the window up; labels keep their
size on screen and show once the zoom leaves room for them.

A new map's first paint would stroke every import line as well (some 15 ms for 2,834 of them, on top of the swap
and the nodes): its lines show a turn of the event loop after its nodes, so each paint stays short.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QTransform
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsPathItem, QGraphicsScene,
                               QGraphicsSimpleTextItem, QGraphicsView)

from ..engine.graph.layout import MapCluster, MapNode, RepoMap
from .icons import language_color

SLICE_MS = 8  # the longest the UI thread adds items in one turn of the event loop
LABEL_PIXELS = 9.0  # a node's label shows once the node is this wide on screen (a file's: twice that)
MATCH = QColor("#e8590c")
DIMMED = 0.18  # the opacity of a node the search leaves out
SELECTED = QColor("#1971c2")
ZOOM_STEP = 1.25


@dataclass
class PreparedMap:
    map: RepoMap
    edges: QPainterPath  # every import as one line
    bounds: QRectF  # the scene, with room for the labels at the edges


def prepare(repo_map: RepoMap) -> PreparedMap:
    """Worker thread (QPainterPath and QRectF are plain values, safe there): what would hold the UI thread up."""
    edges = QPainterPath()
    positions = {n.id: (n.x, n.y) for n in repo_map.nodes}
    for source, target, _count in repo_map.edges:
        edges.moveTo(*positions[source])
        edges.lineTo(*positions[target])
    bounds = QRectF()
    for node in repo_map.nodes:
        bounds |= QRectF(node.x - node.radius, node.y - node.radius, 2 * node.radius, 2 * node.radius)
    for cluster in repo_map.clusters:
        bounds |= QRectF(cluster.x - cluster.radius, cluster.y - cluster.radius - 20, 2 * cluster.radius,
                         2 * cluster.radius + 20)
    return PreparedMap(repo_map, edges, bounds.adjusted(-120, -40, 120, 40))


@dataclass
class _Building:
    """A map's scene while its items are added, before it is shown."""
    map: RepoMap
    scene: QGraphicsScene
    pending: list  # clusters and nodes still to add, the next one last
    lines: QGraphicsPathItem
    search: set[str] | None  # the nodes to stand out, styled as they are added
    shapes: dict[str, QGraphicsItem] = field(default_factory=dict)
    labels: dict[str, QGraphicsSimpleTextItem] = field(default_factory=dict)


def _over(background: QColor, color: QColor, alpha: float) -> QColor:
    """``color`` at opacity ``alpha`` on ``background``, as one opaque colour."""
    return QColor(*(round(alpha * c + (1 - alpha) * b) for c, b in
                    zip(color.getRgb()[:3], background.getRgb()[:3], strict=True)))


class _Lines(QGraphicsPathItem):
    """Thousands of thin lines: drawn without antialiasing, several times faster, and as readable."""

    def paint(self, painter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        super().paint(painter, option, widget)


def _set_up_python_paint() -> None:
    """PySide sets up its widgets module's enums (79 of them: 15 to 20 ms, more on a busy machine) at the first
    paint of an item painted in Python; that would be the first map's first paint. Done once as the window is
    made, on a view of a few pixels never shown."""
    view = QGraphicsView()
    view.setScene(QGraphicsScene(view))
    path = QPainterPath()
    path.lineTo(1, 1)
    view.scene().addItem(_Lines(path))
    view.resize(8, 8)
    view.grab()


class MapView(QGraphicsView):
    node_clicked = Signal(str)
    node_double_clicked = Signal(str)
    drawn = Signal()  # the whole map is on screen

    _python_paint_set_up = False

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        if not MapView._python_paint_set_up:
            _set_up_python_paint()
            MapView._python_paint_set_up = True
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.map: RepoMap | None = None
        self.shapes: dict[str, QGraphicsItem] = {}  # node id -> its shape
        self.labels: dict[str, QGraphicsSimpleTextItem] = {}
        self.highlighted: set[str] = set()
        self._search: set[str] | None = None  # what the search asked to stand out; None: no search
        self.selected: str | None = None
        self.complete = False  # every item of the current map added
        self._building: _Building | None = None  # the next map's scene, while its items are added
        self._edges_selected: QGraphicsPathItem | None = None
        self._press: QPointF | None = None
        self._fonts = {}  # bold or not -> the labels' font, made once
        for bold in (False, True):
            font = QFont(self.font())
            font.setPointSizeF(max(8.0, font.pointSizeF() - 1))
            font.setBold(bold)
            self._fonts[bold] = font

    # -- drawing -----------------------------------------------------------------------------------

    def show_map(self, prepared: PreparedMap | None, search: set[str] | None = None) -> None:
        """Show a map made ready on a worker (``prepare``). Its items go into a scene of their own, a slice of
        SLICE_MS per turn of the event loop, while the view still shows the map before; the finished scene then
        takes its place in one step. No turn adds more than a slice, and nothing is painted twice meanwhile
        (a scene in sight repaints what each batch adds: some 20 ms a turn on 1,000 files).

        ``search``: the new map's nodes to stand out, as ``highlight`` takes them. Each node is styled so as it
        is added: restyling a thousand nodes once the map is in sight held one turn 12 to 15 ms, and repainted it."""
        self._building = None  # a scene still being filled for the map before is dropped
        if prepared is None:
            self._swap(None, QGraphicsScene(self), {}, {})
            return
        scene = QGraphicsScene(self)
        # no index: building the default tree of 2,000 items would be one more lump on the first paint, and
        # looking through them is quick for a click or an exposed area
        scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        drawn = _Lines(prepared.edges)
        # 0: a pixel at any zoom. Opaque, the grey a translucent one makes on the view's background: a translucent
        # stroke is blended pixel by pixel (the 972-file map's first paint: 17 to 22 ms of CPU with it, under 10 without)
        drawn.setPen(QPen(_over(self.palette().color(QPalette.ColorRole.Base), QColor(110, 118, 135), 110 / 255), 0))
        drawn.setZValue(-2)
        drawn.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # a pan repaints a picture, not the lines
        drawn.setVisible(False)  # shown after the nodes' first paint (_show_lines)
        scene.addItem(drawn)
        scene.setSceneRect(prepared.bounds)
        # the clusters, then the big nodes first (popped from the end)
        pending = [*sorted(prepared.map.nodes, key=lambda n: n.radius), *prepared.map.clusters]
        self._building = _Building(prepared.map, scene, pending, drawn, search)
        self._add_slice(self._building)

    def _add_slice(self, building: _Building) -> None:
        if building is not self._building:
            return  # a newer map was asked for
        text = self.palette().color(QPalette.ColorRole.Text)
        until = time.perf_counter() + SLICE_MS / 1000
        while building.pending and time.perf_counter() < until:
            item = building.pending.pop()
            if isinstance(item, MapCluster):
                self._cluster_item(building.scene, item, text)
                continue
            shape = building.shapes[item.id] = self._node_item(building.scene, item)
            label = self._label(shape, item.label, QPointF(item.x, item.y + item.radius + 1), text,
                                bold=item.kind == "folder")
            label.setVisible(False)  # _update_labels shows those the zoom leaves room for
            building.labels[item.id] = label
            self._style(item.id, shape, label, building.search, None)
        # the swap in a turn of its own: with the last slice, the new scene's first paint came in one lump
        QTimer.singleShot(0, lambda: self._add_slice(building) if building.pending else self._finish(building))

    def _finish(self, building: _Building) -> None:
        if building is self._building:
            self._building = None
            self._swap(building.map, building.scene, building.shapes, building.labels, building.lines,
                       building.search)

    def _swap(self, repo_map: RepoMap | None, scene: QGraphicsScene, shapes: dict, labels: dict,
              lines: QGraphicsPathItem | None = None, search: set[str] | None = None) -> None:
        old = self.scene()
        self.setScene(scene)
        self.map, self.shapes, self.labels = repo_map, shapes, labels
        self.highlighted, self.selected, self._search = set(search or ()), None, search
        self._edges_selected = scene.addPath(QPainterPath(), QPen(SELECTED, 0))
        self._edges_selected.setZValue(-1)
        if old is not None:
            old.deleteLater()  # with its items, once this turn is over
        self.complete = False
        if repo_map is None:
            return
        self.fit()
        # a timer, not a posted call: the nodes' paint (a posted event) comes first, and other timers may run between
        QTimer.singleShot(1, lambda: self._show_lines(scene, lines))

    def _show_lines(self, scene: QGraphicsScene, lines: QGraphicsPathItem | None) -> None:
        if scene is not self.scene():
            return  # another map took its place meanwhile
        if lines is not None:
            lines.setVisible(True)
        self.complete = True
        self.drawn.emit()

    def _cluster_item(self, scene: QGraphicsScene, cluster: MapCluster, text: QColor) -> None:
        r = cluster.radius
        disc = scene.addEllipse(cluster.x - r, cluster.y - r, 2 * r, 2 * r, QPen(QColor(120, 130, 150, 90), 0),
                                QBrush(QColor(120, 130, 150, 28)))
        disc.setZValue(-3)
        disc.setToolTip((cluster.folder or ".") + "/")
        name = cluster.folder.rsplit("/", 1)[-1] or "."  # its place in the tree says the rest
        self._label(disc, name + "/", QPointF(cluster.x, cluster.y - r), text, bold=True).setZValue(5)

    def _node_item(self, scene: QGraphicsScene, node: MapNode) -> QGraphicsItem:
        color = language_color(node.language)
        r = node.radius
        if node.kind == "folder":
            shape = QPainterPath()
            shape.addRoundedRect(QRectF(node.x - r, node.y - r, 2 * r, 2 * r), r / 3, r / 3)
            item = scene.addPath(shape, Qt.PenStyle.NoPen, QBrush(color.lighter(125)))  # pen: _style
            item.setToolTip(f"{node.folder or '.'}/\n{len(node.files)} files, {node.chunks} chunks\n"
                            "click to open the folder")
        else:
            item = scene.addEllipse(node.x - r, node.y - r, 2 * r, 2 * r, Qt.PenStyle.NoPen, QBrush(color))
            item.setToolTip(f"{node.id}\n{node.language}, {node.chunks} chunks\n"
                            "click: its imports and symbols; double-click: its code")
        item.setData(0, node.id)
        item.setCursor(Qt.CursorShape.PointingHandCursor)
        return item

    def _label(self, parent: QGraphicsItem, text: str, at: QPointF, color: QColor, bold: bool = False):
        label = QGraphicsSimpleTextItem(text)
        label.setFont(self._fonts[bold])
        label.setBrush(color)
        label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        label.setPos(at)
        label.setData(0, parent.data(0))  # a click on a label is a click on its node
        # centred under the point, in screen pixels (the label ignores the zoom)
        label.setTransform(QTransform.fromTranslate(-label.boundingRect().width() / 2, 0))
        parent.scene().addItem(label)
        return label

    # -- zoom, pan, labels ---------------------------------------------------------------------------

    def fit(self) -> None:
        if self.scene().sceneRect().isValid():
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            self._update_labels()

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)
        self._update_labels()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def _update_labels(self, nodes: list[MapNode] | None = None) -> None:
        if self.map is None:
            return
        scale = self.transform().m11()
        for node in self.map.nodes if nodes is None else nodes:
            label = self.labels.get(node.id)
            if label is not None:
                label.setVisible(node.id in self.highlighted or node.id == self.selected or scale >= 0.9
                                 or 2 * node.radius * scale >= LABEL_PIXELS * (2 if node.kind == "file" else 1))

    # -- highlight, selection ------------------------------------------------------------------------

    def highlight(self, ids: set[str] | None) -> None:
        """``ids``: the nodes to stand out, the rest dimmed; None: all as usual. The selected node keeps its ring."""
        self._search = None if ids is None else set(ids)
        self.highlighted = set(ids or ())
        for node_id, item in self.shapes.items():
            self._style(node_id, item, self.labels.get(node_id), self._search, self.selected)
        self._update_labels()

    def select(self, node_id: str | None) -> None:
        previous, self.selected = self.selected, node_id
        path = QPainterPath()
        if self.map is not None and node_id is not None:
            positions = {n.id: (n.x, n.y) for n in self.map.nodes}
            for source, target, _count in self.map.edges:
                if node_id in (source, target):
                    path.moveTo(*positions[source])
                    path.lineTo(*positions[target])
        if self._edges_selected is not None:
            self._edges_selected.setPath(path)
        changed = [n for n in dict.fromkeys((previous, node_id)) if n in self.shapes]  # the others keep their look
        for n in changed:
            self._style(n, self.shapes[n], self.labels.get(n), self._search, self.selected)
        self._update_labels([self.map.node(n) for n in changed])

    @staticmethod
    def _style(node_id: str, item: QGraphicsItem, label: QGraphicsSimpleTextItem | None, search: set[str] | None,
               selected: str | None) -> None:
        """The one place a node's look follows the search and the selection."""
        item.setOpacity(1.0 if search is None or node_id in search else DIMMED)
        if node_id == selected:
            pen = QPen(SELECTED, 4)
        elif search is not None and node_id in search:
            pen = QPen(MATCH, 3)
        else:
            pen = QPen(item.brush().color().darker(140), 0)
        pen.setCosmetic(True)
        item.setPen(pen)
        if label is not None:
            label.setOpacity(item.opacity())

    def center_on(self, node_id: str) -> None:
        item = self.shapes.get(node_id)
        if item is not None:
            self.centerOn(item)

    # -- clicks --------------------------------------------------------------------------------------

    def node_at(self, point) -> str | None:
        """The node drawn under a viewport point: its shape, else its label (a label may cover a neighbour)."""
        found = [(item, item.data(0)) for item in self.items(point) if item.data(0) in self.shapes]
        shapes = [node_id for item, node_id in found if self.shapes[node_id] is item]
        return shapes[0] if shapes else (found[0][1] if found else None)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().mouseReleaseEvent(event)
        if self._press is not None and (event.position() - self._press).manhattanLength() < 4:
            node_id = self.node_at(event.position().toPoint())
            if node_id is not None:
                self.node_clicked.emit(node_id)
        self._press = None

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        node_id = self.node_at(event.position().toPoint())
        if node_id is not None:
            self.node_double_clicked.emit(node_id)
        else:
            super().mouseDoubleClickEvent(event)

    def view_point(self, node_id: str):
        """Where a node is on the viewport now (tests click there)."""
        node = self.map.node(node_id) if self.map else None
        return None if node is None else self.mapFromScene(QPointF(node.x, node.y))
