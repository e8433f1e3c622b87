"""How values read on screen: yuan, budgets, times, distances, sync states. Display only —
amounts stay integer fen everywhere else (domain/money.py)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.money import format_yuan
from jiedan_cli.render import safe_text, status_words

# Rich styles of mid tones, legible on the dark and the light themes alike.
PENDING = "dark_orange"
REJECTED = "bold red3"
HELD = "bold magenta"
GOOD = "green3"
ACCENT = "deep_sky_blue3"
SYNC_STYLES = {"pending": PENDING, "rejected": REJECTED, "held": HELD, "synced": GOOD}

SYNC_MARKS = {
    "pending": "⇡ pending",
    "rejected": "✗ rejected",
    "held": "⚑ held for review",
    "synced": "✓ synced",
}


def shown(value: Any, *, multiline: bool = False) -> str:
    """What someone else wrote (a title, a note, a name, the server's reason) as text the
    terminal shows and never obeys (render.safe_text); '' for None."""
    return "" if value is None else safe_text(value, multiline=multiline)


def status(value: Any) -> str:
    """A status as people read it ('in progress'), shown as text."""
    return shown(status_words(value))


def plain(value: Any, *, multiline: bool = False, **options: Any) -> Text:
    """`shown(value)` as a rich Text: never read as markup, whatever brackets it holds."""
    return Text(shown(value, multiline=multiline), **options)


def yuan(fen: Any) -> str:
    """12345 → '¥123.45' with thousands separators; '' when unknown."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        return ""
    whole, _, cents = format_yuan(fen).partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}¥{int(whole.lstrip('-')):,}.{cents}"


def budget(order: dict[str, Any]) -> str:
    """'¥1,000–2,000' (whole yuan: a budget is a range, cents only add noise)."""
    low, high = order.get("budget_min_fen"), order.get("budget_max_fen")
    if not isinstance(low, int) or not isinstance(high, int):
        return ""
    if low == high:
        return f"¥{low // 100:,}"
    return f"¥{low // 100:,}–{high // 100:,}"


def when(text: Any, tz: tzinfo | None = None, *, with_year: bool = False) -> str:
    """An RFC 3339 time as 'MM-DD HH:MM' in `tz` (None: the machine's zone)."""
    if not isinstance(text, str) or not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(tz)
    except ValueError:
        return shown(text)
    return moment.strftime("%Y-%m-%d %H:%M" if with_year else "%m-%d %H:%M")


def day(text: Any) -> str:
    """A deadline ('2026-03-01' or a full time) as its date; '—' when there is none."""
    if not isinstance(text, str) or not text:
        return "—"
    return shown(text[:10])


def distance(km: float | None) -> str:
    if km is None:
        return ""
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"


def sync_mark(item: dict[str, Any]) -> str:
    """'⇡ pending', '✗ rejected: <reason>', '⚑ held for review: <reason>', '✓ synced'."""
    state = str(item.get("sync_state") or "synced")
    mark = SYNC_MARKS.get(state, state)
    reason = {"rejected": item.get("reject_reason"), "held": item.get("hold_reason")}.get(state)
    return f"{mark}: {shown(reason)}" if reason else mark


def sync_symbol(item: dict[str, Any]) -> str:
    """The sync state in one cell: ⇡ pending, ✗ rejected, ⚑ held for review, ✓ synced."""
    return SYNC_MARKS.get(str(item.get("sync_state") or "synced"), "?")[0]


INTENT_LABELS: dict[str, str] = {  # outbox intents, as the user thinks of them
    Intent.PLACE_BID: "Your bid",
    Intent.UPDATE_BID: "Your bid change",
    Intent.WITHDRAW_BID: "Withdrawing your bid",
    Intent.SEND_MESSAGE: "Your message",
    Intent.DELIVER: "Your delivery",
    Intent.POST_ORDER: "Your new order",
    Intent.AWARD_BID: "The award",
    Intent.FUND_ORDER: "Funding",
    Intent.ACCEPT_ORDER: "Accepting the delivery",
    Intent.WRITE_REVIEW: "Your review",
    Intent.OPEN_DISPUTE: "Your dispute",
    Intent.CHECK_IN: "Your check-in",
}


def intent_label(intent: str) -> str:
    return INTENT_LABELS.get(intent) or shown(intent.replace("_", " "))


def short_id(value: Any) -> str:
    """The last 8 characters of an id (UUIDv7s share their leading, time-ordered part)."""
    text = shown(value or "")
    return text[-8:] if len(text) > 8 else text


ORDER_WIDTH = 24  # cells of an order's name in a table: twelve Chinese characters


def order_name(entry: dict[str, Any]) -> Text:
    """The order a ledger or points line is about: its title where known, else a short id."""
    return plain(entry.get("order_title") or short_id(entry.get("order_id")), overflow="ellipsis")


# ---- wrapping Chinese ----------------------------------------------------------------------------

# The line-breaking rule (禁则处理): a line never starts with closing punctuation, and never ends
# with an opening bracket; elsewhere Chinese breaks between any two characters, and a Latin
# word is kept whole when it fits on a line.
NO_LINE_START = frozenset("、。，．：；？！）］｝〉》」』】〕〗〙〛〞’”…‥・ー々〻,.:;?!)]}%")
NO_LINE_END = frozenset("（［｛〈《「『【〔〖〘〚〝‘“([{")


class Wrapped:
    """A rich renderable: `text` wrapped to the width it is given by the rule above (Rich's
    own wrapping folds Chinese anywhere, so "。" could start a line). Styles are kept."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from wrap_lines(self.text, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(line) for line in self.text.plain.split("\n")), default=0)
        return Measurement(min(widest, 4), widest)


def wrap_lines(text: Text, width: int) -> list[Text]:
    """`text` as lines at most `width` cells wide (its own newlines kept), broken by the rule."""
    lines: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        for line in paragraph.divide(line_breaks(paragraph.plain, max(width, 2))):
            line.rstrip()
            line.end = "\n"
            line.no_wrap = True
            lines.append(line)
    return lines


def line_breaks(line: str, width: int) -> list[int]:
    """Where a line of no newlines breaks to fit `width` cells: the offsets new lines start at."""
    breaks: list[int] = []
    used = 0
    for start, end in _units(line):
        unit = line[start:end]
        fits = cell_len(unit.rstrip())
        if used and used + fits > width:
            breaks.append(start)
            used = 0
        if fits <= width - used:
            used += cell_len(unit)
            continue
        for at in range(start, end):  # longer than a line: cut by cells
            cells = cell_len(line[at])
            if used and used + cells > width:
                breaks.append(at)
                used = 0
            used += cells
    return breaks


def _units(line: str) -> list[tuple[int, int]]:
    """The pieces a line may break between, as (start, end): each wide character alone, a
    Latin word with the spaces after it; closing punctuation joins the piece before it, an
    opening bracket the piece after it."""
    units: list[tuple[int, int]] = []
    for at, char in enumerate(line):
        if units:
            start, end = units[-1]
            last = line[end - 1]
            word = not last.isspace() and cell_len(last) == 1 and last not in NO_LINE_START
            joins = (
                char.isspace()
                or char in NO_LINE_START
                or last in NO_LINE_END
                or (word and cell_len(char) == 1 and char not in NO_LINE_END)
            )
            if joins:
                units[-1] = (start, at + 1)
                continue
        units.append((at, at + 1))
    return units
