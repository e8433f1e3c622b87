"""The dashboard's top line: its name, the five sections with their keys (the current one
marked; a click switches), and what the screen shows (an order's title). The footer is left
to the screen's own keys, so both fit on an 80-column terminal."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

SECTIONS = {  # mode → (key, label), in the order of the keys
    "orders": ("1", "Orders"),
    "work": ("2", "My work"),
    "earnings": ("3", "Earnings"),
    "points": ("4", "Points"),
    "client": ("5", "Client"),
}


class SectionBar(Static):
    def on_mount(self) -> None:
        self.watch(self.screen, "sub_title", self._draw)

    def _draw(self, _: Any = None) -> None:
        current = getattr(self.app, "current_mode", None)
        parts = [Content.styled(" 接单 jiedan ", "bold $text-accent")]
        for mode, (key, label) in SECTIONS.items():
            style = "reverse bold" if mode == current else ""
            parts.append(Content(" "))
            parts.append(
                # our own constants in the markup; the order's title below is never parsed
                Content.from_markup(f"[@click=app.switch_mode('{mode}')]{key} {label}[/]").stylize(
                    style
                )
            )
        if self.screen.sub_title:
            parts.append(Content.styled(f"  · {self.screen.sub_title}", "italic"))
        self.update(Content.assemble(*parts))
