"""The orders board's table: a line-API widget that formats only the rows on screen.

Textual's DataTable measures every cell of every row it is given and renders each cell on
its own; with a page of Chinese titles that made a filter keystroke cost more than the
search (performance.md P7). Here a row is one Text, cut to fixed column widths by cell
width (wide characters stay aligned), rendered once into a Strip when it first scrolls
into view. Line 0 is the header; it does not scroll."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jiedan_cli.domain.categories import label_for
from jiedan_cli.domain.states import LIVE_BID
from jiedan_cli.tui import formatting

Order = dict[str, Any]
GAP = 2  # cells between columns
SCROLLBAR = 2
WIDE = 110  # from this width on, posting times show the hour
TITLE_MIN, TITLE_MAX = 14, 80


@dataclass
class BoardRows:
    """What the table shows besides the orders themselves."""

    orders: list[Order]
    distances: dict[str, float] = field(default_factory=dict)  # order id → km
    new_ids: frozenset[str] = frozenset()  # posted since the last look
    tz: tzinfo | None = None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False  # numbers line up on the right


@dataclass(frozen=True)
class Layout:
    """Column choices for a width: the title takes what the other columns leave."""

    columns: tuple[Column, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def line_width(self) -> int:
        """A row's cells: a space and the mark, then GAP and each other column."""
        return 1 + sum(c.width + (GAP if c.key != "mark" else 0) for c in self.columns)


def layout_for(width: int, with_distance: bool) -> Layout:
    posted = 11 if width >= WIDE else 5
    fixed = [
        Column("category", "Category", 8),
        Column("budget", "Budget", 14, right=True),
        Column("deadline", "Deadline", 10),
        Column("bids", "Bids", 4, right=True),
    ]
    after = [Column("posted", "Posted", max(posted, 6))]
    others = fixed + after
    used = 2 + sum(c.width for c in others) + GAP * (len(others) + 1) + SCROLLBAR
    title = width - used
    if with_distance and title - 10 >= TITLE_MIN + 6:
        fixed.append(Column("distance", "Distance", 8, right=True))
        title -= 10
    title = max(TITLE_MIN, min(TITLE_MAX, title))
    return Layout((Column("mark", "", 1), Column("title", "Title", title), *fixed, *after))


class OrdersTable(ScrollView, can_focus=True):
    """Orders, one a line, a row cursor; Enter posts RowSelected."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "orders-table--header",
        "orders-table--cursor",
        "orders-table--even",
    }

    cursor_row: reactive[int] = reactive(0)

    @dataclass
    class RowHighlighted(Message):
        cursor_row: int
        order_id: str

    @dataclass
    class RowSelected(Message):
        order_id: str

    class Relayout(Message):
        """The columns should change for the new width: the board redraws the rows."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.rows = BoardRows([])
        self.order_ids: list[str] = []
        self.columns_layout: Layout | None = None
        # (row index, variant) → its line, formatted when it first comes into view
        self._strips: dict[tuple[int, str], Strip] = {}
        self._styles: dict[tuple[str, bool, str], Style] = {}  # looked up once, not per line

    @property
    def row_count(self) -> int:
        return len(self.order_ids)

    # ---- content --------------------------------------------------------------------------

    def show(self, rows: BoardRows) -> None:
        """Show exactly `rows.orders`, keeping the cursor on the same order where it can."""
        keep = self.order_ids[self.cursor_row] if self.order_ids else None
        self.columns_layout = self._wanted_layout(bool(rows.distances))
        self.rows = rows
        self.order_ids = [o["id"] for o in rows.orders]
        self._strips.clear()
        self.virtual_size = Size(self._line_width(), len(self.order_ids) + 1)
        row = self.order_ids.index(keep) if keep in self.order_ids else 0
        self.set_reactive(OrdersTable.cursor_row, min(row, max(0, self.row_count - 1)))
        self._keep_cursor_visible()
        self.refresh()

    def _wanted_layout(self, with_distance: bool) -> Layout:
        return layout_for(self.size.width or self.app.size.width, with_distance)

    def _line_width(self) -> int:
        return 0 if self.columns_layout is None else self.columns_layout.line_width

    def on_resize(self) -> None:
        if self.columns_layout is not None:
            wanted = self._wanted_layout(bool(self.rows.distances))
            if wanted != self.columns_layout:
                self.post_message(self.Relayout())
        self._keep_cursor_visible()

    # ---- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._strip(self._header_text(), "orders-table--header").crop_extend(
                self.scroll_offset.x, self.scroll_offset.x + width, None
            )
        index = self.scroll_offset.y + y - 1
        if index >= self.row_count:
            return Strip.blank(width, self._style(None))
        variant = (
            "orders-table--cursor"
            if index == self.cursor_row
            else ("orders-table--even" if index % 2 else "")
        )
        strip = self._strips.get((index, variant))
        if strip is None:
            text = self._row_text(self.rows.orders[index])
            strip = self._strips[index, variant] = self._strip(text, variant or None)
        return strip.crop_extend(self.scroll_offset.x, self.scroll_offset.x + width, None)

    def _style(self, component: str | None) -> Style:
        """The line style (the widget's, plus `component`'s): computing it costs more than
        rendering a line, so it is kept until the focus or the theme changes."""
        key = (component or "", self.has_focus, self.app.theme)
        style = self._styles.get(key)
        if style is None:
            style = self.rich_style
            if component is not None:
                style += self.get_component_rich_style(component)
            self._styles[key] = style
        return style

    def _strip(self, text: Text, component: str | None = None) -> Strip:
        base = self._style(component)
        # The row's own styles (marks, bold titles) go on top of the row's background.
        segments = [
            Segment(s.text, base + s.style if s.style else base, s.control)
            for s in text.render(self.app.console)
            if s.text != "\n"
        ]
        return Strip(segments).extend_cell_length(max(self.size.width, self._line_width()), base)

    def _header_text(self) -> Text:
        return self._line([(c.label, None) for c in self._layout().columns])

    def _row_text(self, order: Order) -> Text:
        rows = self.rows
        new = order["id"] in rows.new_ids
        posted = formatting.when(order.get("created_at"), rows.tz)
        values: dict[str, tuple[str, str | None]] = {
            "mark": _mark(order, new),
            "title": (order.get("title") or "", "bold" if new else None),
            "category": (label_for(order.get("category") or ""), None),
            "budget": (formatting.budget(order), None),
            "deadline": (formatting.day(order.get("deadline")), None),
            "bids": (str(order.get("bid_count") or 0), None),
            "distance": (formatting.distance(rows.distances.get(order["id"])), None),
            "posted": (posted, None),
        }
        columns = self._layout().columns
        if columns[-1].width < len(posted):
            values["posted"] = (posted[:5], None)  # narrow: the day only
        return self._line([values[c.key] for c in columns])

    def _line(self, cells: list[tuple[str, str | None]]) -> Text:
        line = Text(no_wrap=True, overflow="crop")
        for column, (value, style) in zip(self._layout().columns, cells, strict=True):
            # the row's values are other people's words: shown, never obeyed
            cell = formatting.plain(value, style=style or "", no_wrap=True, overflow="ellipsis")
            cell.truncate(column.width, overflow="ellipsis")
            gap = column.width - cell.cell_len
            line.append(" " * GAP if column.key != "mark" else " ")
            if column.right:
                line.append(" " * gap)
            line.append_text(cell)
            if not column.right:
                line.append(" " * gap)
        return line

    def _layout(self) -> Layout:
        return self.columns_layout or layout_for(self.app.size.width, False)

    # ---- the cursor ---------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._keep_cursor_visible()
        self.refresh()
        if self.order_ids and 0 <= new < self.row_count:
            self.post_message(self.RowHighlighted(new, self.order_ids[new]))

    def _keep_cursor_visible(self) -> None:
        visible = max(1, self.size.height - 1)  # minus the header
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def _go(self, row: int) -> None:
        if self.row_count:
            self.cursor_row = max(0, min(self.row_count - 1, row))

    def action_move(self, step: int) -> None:
        self._go(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self._go(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        self._go(self.row_count - 1)

    def action_select(self) -> None:
        if self.order_ids:
            self.post_message(self.RowSelected(self.order_ids[self.cursor_row]))

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y - 1
        if event.y == 0 or not 0 <= row < self.row_count:
            return
        if row == self.cursor_row or event.chain > 1:
            self.action_select()  # a click on the highlighted row (or a double click) opens it
        self.cursor_row = row

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.refresh()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _restyle(self, _theme: object) -> None:
        self._strips.clear()
        self.refresh()

    def on_focus(self) -> None:
        self._strips.clear()  # the cursor line changes colour with the focus
        self.refresh()

    def on_blur(self) -> None:
        self._strips.clear()
        self.refresh()


def _mark(order: Order, new: bool) -> tuple[str, str | None]:
    """● new since the last look; my bid on it: ✓ live, ⇡ pending, ✗ refused by the
    server, ⚑ held for review, – withdrawn or declined. Single-width marks only: an emoji
    would push the row out of line."""
    bid = order.get("my_bid")
    if bid is not None:
        state = bid.get("sync_state")
        if state == "pending":
            return "⇡", formatting.PENDING
        if state == "rejected":
            return "✗", formatting.REJECTED
        if state == "held":
            return "⚑", formatting.HELD
        if bid.get("status") in LIVE_BID:
            return "✓", formatting.GOOD
        return "–", "dim"
    if order.get("sync_state") == "pending":
        return "⇡", formatting.PENDING
    if order.get("sync_state") == "held":
        return "⚑", formatting.HELD
    return ("●", f"bold {formatting.ACCENT}") if new else ("", None)
