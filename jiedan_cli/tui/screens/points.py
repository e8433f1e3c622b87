"""Points and membership: the balance, the tier and what is missing to the next in plain
words, today's check-in (签到, `i`: store.actions.check_in, local-first; not `c`, which in
Client mode accepts a delivery and releases money) and the streak calendar of the last four
weeks, progress bars to the next tier (both thresholds of domain/tiers.py must be met: volume
and completed orders), and the history; my fee plan and the next points to expire, asked of
the server when it can be reached (hidden offline). Two dialogs do what `jiedan points redeem`
and `jiedan fees plan choose` do, through the same calls: `u` redeems points for a fee coupon
or cash (store.actions.redeem_points, local-first), `$` chooses a fee plan (online:
sync/fee_plans.choose_fee_plan). Above them my public profile, which `p` edits
(online: sync/profiles.update_my_profile), and whether two-factor sign-in is on, which `t`
changes (online: sync/two_factor.py)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Label, ProgressBar, Static

from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.domain.referrals import REWARDED
from jiedan_cli.domain.tiers import rule_for
from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import (
    ActionDone,
    FeePlanChosen,
    PointsLoaded,
    ProfileSaved,
    TermsLoaded,
    TwoFactorChanged,
    TwoFactorStarted,
)
from jiedan_cli.tui.screens.base import DashboardScreen


class Points(DashboardScreen):
    BINDINGS = [
        Binding("i", "check_in", "Check in"),
        Binding("p", "edit_profile", "Edit profile"),
        Binding("t", "two_factor", "Two-factor"),
        Binding("u", "redeem", "Redeem points"),
        Binding("dollar_sign", "choose_plan", "Fee plan", key_display="$"),
    ]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.profile: dict[str, Any] = {}
        self.account: dict[str, Any] = {}
        self.checkin: dict[str, Any] | None = None  # today's, once read
        self.balance: int | None = None  # the points on screen, once read
        self.plan: dict[str, Any] | None = None  # the fee plan, once the server said
        self.expiring: dict[str, Any] | None = None

    def compose_body(self) -> Iterable[Widget]:
        yield Static("", id="points-profile")
        yield Static("", id="points-account")
        yield Static("", id="points-head")
        yield Static("", id="points-checkin")
        yield Static("", id="points-calendar")
        terms = Static("", id="points-terms")
        terms.display = False  # shown once the server answered
        yield terms
        campaigns = Static("", id="points-campaigns")
        campaigns.display = False  # shown while a campaign runs or is announced
        yield campaigns
        with Horizontal(classes="progress-row"):
            yield Label("Volume", classes="form-label")
            yield ProgressBar(id="tier-volume", show_eta=False, show_percentage=False)
            yield Label("", id="tier-volume-text")
        with Horizontal(classes="progress-row"):
            yield Label("Orders", classes="form-label")
            yield ProgressBar(id="tier-orders", show_eta=False, show_percentage=False)
            yield Label("", id="tier-orders-text")
        yield Static("History", classes="section-title")
        history: DataTable[Any] = DataTable(
            id="points-table", cursor_type="row", zebra_stripes=True
        )
        history.add_columns("When", "Kind", "Points")
        history.add_column("Order", width=formatting.ORDER_WIDTH)
        yield history

    def reload(self) -> None:
        self.read_points()
        self.read_terms()

    @work(thread=True, exclusive=True, group="points-terms")
    def read_terms(self) -> None:
        from jiedan_cli.sync.fee_plans import my_fee_plan
        from jiedan_cli.sync.http import api_call

        server = self.dashboard.server
        try:
            plan = my_fee_plan(server=server, timeout=5)
            expiring = api_call("GET", "/v1/points", server=server, timeout=5).get("expiring")
        except JiedanError:
            return  # offline or signed out: the line stays hidden
        try:
            referral = api_call("GET", "/v1/me/referral", server=server, timeout=5)
        except JiedanError:
            referral = None  # the plan's line still shows, without the code
        self.post_message(TermsLoaded(plan, expiring, referral))

    def on_terms_loaded(self, message: TermsLoaded) -> None:
        self.plan, self.expiring = message.plan, message.expiring
        line = self.query_one("#points-terms", Static)
        line.update(_terms_line(message.plan, message.expiring, message.referral))
        line.display = message.plan is not None

    @work(thread=True, exclusive=True, group="points")
    def read_points(self) -> None:
        from jiedan_cli.store.campaigns import current_campaigns
        from jiedan_cli.store.earnings import (
            checkin_calendar,
            checkin_today,
            points_balance,
            points_history,
        )
        from jiedan_cli.store.queries import (
            get_profile,
            my_account,
            registration_review,
            with_order_titles,
        )
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            try:
                points = points_balance(conn, now=self.dashboard.now())
                history = with_order_titles(conn, points_history(conn))
                checkin = checkin_today(conn, now=self.dashboard.now())
                calendar = checkin_calendar(conn, now=self.dashboard.now())
                campaigns = current_campaigns(conn, now=self.dashboard.now())
            except JiedanError as exc:
                self.post_message(PointsLoaded(None, [], exc.message))
                return
            me = current_user_id(conn)
            profile = get_profile(conn, me) if me else None
            account = my_account(conn) if me else None
            if account is not None:
                account["review"] = registration_review(conn)
        self.post_message(
            PointsLoaded(points, history, None, profile, account, checkin, campaigns, calendar)
        )

    def on_points_loaded(self, message: PointsLoaded) -> None:
        self.profile = message.profile or {}
        self.account = message.account or {}
        self.query_one("#points-profile", Static).update(_profile_line(message.profile))
        self._show_account()
        points = message.points
        head = self.query_one("#points-head", Static)
        if points is None:
            head.update(formatting.plain(message.error or "No points yet.", style="dim"))
            return
        head.update(_head(points))
        self.balance = int(points["balance"])
        self.checkin = message.checkin
        self.query_one("#points-checkin", Static).update(_checkin_line(message.checkin))
        self.query_one("#points-calendar", Static).update(_calendar(message.calendar))
        campaigns = self.query_one("#points-campaigns", Static)
        campaigns.update(_campaigns_line(message.campaigns))
        campaigns.display = bool(message.campaigns)
        self.refresh_bindings()  # `i` only while today's check-in is still to do
        progress = points["progress"]
        self._bar(
            "volume", progress["volume_fen"], progress.get("next_min_volume_fen"), formatting.yuan
        )
        self._bar("orders", progress["completed_orders"], progress.get("next_min_orders"), str)
        table: DataTable[Any] = self.query_one("#points-table", DataTable)
        table.clear()
        for entry in message.history:
            table.add_row(
                # Text cells: a str cell of a DataTable is read as markup
                Text(formatting.when(entry.get("created_at"), self.dashboard.tz, with_year=True)),
                formatting.plain(entry.get("kind")),
                Text(f"{int(entry.get('amount') or 0):+,}", justify="right"),
                formatting.order_name(entry),
                key=entry["id"],
            )

    def _bar(self, name: str, have: int, need: int | None, shown: Any) -> None:
        bar = self.query_one(f"#tier-{name}", ProgressBar)
        label = self.query_one(f"#tier-{name}-text", Label)
        if need is None:  # the top tier
            bar.update(total=1, progress=1)
            label.update(f"{shown(have)}")
            return
        bar.update(total=need, progress=min(have, need))
        done = "  ✓" if have >= need else f"  {100 * have // max(need, 1)}%"
        label.update(f"{shown(have)} of {shown(need)}{done}")

    # ---- the daily check-in --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "check_in":
            return self.checkin is not None and not self.checkin.get("checked_in")
        return True

    def action_check_in(self) -> None:
        from jiedan_cli.store import actions

        self.perform("check in", partial(actions.check_in, now=self.dashboard.now()))

    def on_action_done(self, message: ActionDone) -> None:
        super().on_action_done(message)
        if message.action == "check in":
            shown = message.shown
            self.notify(
                f"Checked in: +{shown['amount']} points, {shown['streak']} day(s) in a row;"
                " sent with the next sync.",
                timeout=4,
            )
        elif message.action == "redeem points":
            self.notify(_redeemed_words(message.shown), timeout=5, markup=False)

    # ---- redeeming points, choosing a fee plan ---------------------------------------------------

    def action_redeem(self) -> None:
        from jiedan_cli.tui.widgets.points_forms import redeem_form

        self.app.push_screen(redeem_form(self.balance), self._redeem_answered)

    def _redeem_answered(self, values: dict[str, Any] | None) -> None:
        from jiedan_cli.store import actions

        if values is not None:
            act = partial(actions.redeem_points, kind=values["kind"], points=values["points"])
            self.perform("redeem points", act)

    def action_choose_plan(self) -> None:
        from jiedan_cli.tui.widgets.points_forms import fee_plan_form

        current = self.plan.get("plan") if self.plan else None
        self.app.push_screen(fee_plan_form(current), self._plan_answered)

    def _plan_answered(self, values: dict[str, Any] | None) -> None:
        if values is not None:
            self.choose_plan(values["plan"])

    @work(thread=True, exclusive=True, group="fee-plan")
    def choose_plan(self, name: str) -> None:
        from jiedan_cli.sync.fee_plans import choose_fee_plan

        try:
            plan = choose_fee_plan(name, server=self.dashboard.server)
        except JiedanError as exc:
            self.post_message(FeePlanChosen(None, exc.message))
        else:
            self.post_message(FeePlanChosen(plan))

    def on_fee_plan_chosen(self, message: FeePlanChosen) -> None:
        from jiedan_cli.tui.widgets.points_forms import plan_words

        if message.plan is None:
            self.notify(
                f"Fee plan not changed: {message.error}", severity="error", markup=False, timeout=8
            )
            return
        self.notify(plan_words(message.plan), timeout=5, markup=False)
        self.post_message(TermsLoaded(message.plan, self.expiring))

    # ---- my profile ----------------------------------------------------------------------------

    def action_edit_profile(self) -> None:
        from jiedan_cli.tui.widgets.profile_form import profile_form

        self.app.push_screen(profile_form(self.profile), self._edited)

    def _edited(self, values: dict[str, Any] | None) -> None:
        from jiedan_cli.tui.widgets.profile_form import profile_changes

        changes = profile_changes(self.profile, values) if values is not None else {}
        if values is not None and not changes:
            self.notify("Nothing changed.", timeout=3)
        elif changes:
            self.save_profile(changes)

    @work(thread=True, exclusive=True, group="profile")
    def save_profile(self, changes: dict[str, Any]) -> None:
        from jiedan_cli.sync.profiles import update_my_profile

        try:
            with self.dashboard.replica() as conn:
                profile = update_my_profile(conn, changes)
        except JiedanError as exc:
            self.post_message(ProfileSaved(None, exc.message))
        else:
            self.post_message(ProfileSaved(profile))

    def on_profile_saved(self, message: ProfileSaved) -> None:
        if message.profile is None:
            self.notify(
                f"Profile not saved: {message.error}", severity="error", markup=False, timeout=8
            )
            return
        self.notify("Profile saved.", timeout=3)
        self.dashboard.replica_changed.publish(None)

    # ---- two-factor sign-in --------------------------------------------------------------------

    def _show_account(self) -> None:
        """Whether two-factor sign-in is on, once the account has been pulled."""
        line = self.query_one("#points-account", Static)
        line.display = bool(self.account)
        line.update(_account_line(self.account))

    def action_two_factor(self) -> None:
        """On: the password, a new secret from the server, then a first code; off: a
        current code."""
        from jiedan_cli.tui.widgets.two_factor_forms import turn_off_form

        if self.account.get("totp_enabled"):
            self.app.push_screen(turn_off_form(), partial(self._coded, False))
        else:
            self._ask_password()

    def _ask_password(self, error: str = "") -> None:
        from jiedan_cli.tui.widgets.two_factor_forms import password_form

        self.app.push_screen(password_form(error), self._password_given)

    def _password_given(self, values: dict[str, Any] | None) -> None:
        if values is not None:
            self.start_two_factor(values["password"])

    @work(thread=True, exclusive=True, group="two-factor")
    def start_two_factor(self, password: str) -> None:
        from jiedan_cli.sync.two_factor import start

        try:
            self.post_message(TwoFactorStarted(start(password, server=self.dashboard.server)))
        except JiedanError as exc:
            self.post_message(TwoFactorStarted(None, exc.message, exc.code or ""))

    def on_two_factor_started(self, message: TwoFactorStarted) -> None:
        if message.started is None and message.code == "bad_credentials":
            self._ask_password(message.error)  # the same dialog again, with the reason
            return
        if message.started is None:
            self.notify(
                f"Two-factor sign-in: {message.error}", severity="error", markup=False, timeout=8
            )
            return
        self._ask_first_code(message.started)

    def _ask_first_code(self, started: dict[str, Any], error: str = "") -> None:
        from jiedan_cli.tui.widgets.two_factor_forms import turn_on_form

        form = turn_on_form(started, height=self.app.size.height, error=error)
        self.app.push_screen(form, partial(self._coded, True, started=started))

    def _coded(
        self,
        turning_on: bool,
        values: dict[str, Any] | None,
        started: dict[str, Any] | None = None,
    ) -> None:
        if values is not None:
            self.send_code(turning_on, values["otp"], started)

    @work(thread=True, exclusive=True, group="two-factor")
    def send_code(self, turning_on: bool, otp: str, started: dict[str, Any] | None) -> None:
        from jiedan_cli.sync import two_factor

        server = self.dashboard.server
        try:
            with self.dashboard.replica() as conn:
                if turning_on:
                    account = two_factor.confirm(conn, otp, server=server)
                else:
                    account = two_factor.turn_off(conn, otp, server=server)
        except JiedanError as exc:
            self.post_message(TwoFactorChanged(turning_on, None, exc.message, started))
        else:
            self.post_message(TwoFactorChanged(turning_on, account))

    def on_two_factor_changed(self, message: TwoFactorChanged) -> None:
        from jiedan_cli.tui.widgets.two_factor_forms import turn_off_form

        if message.account is None:  # a wrong code: the same dialog again, with the reason
            if message.started is not None:
                self._ask_first_code(message.started, message.error)
            else:
                self.app.push_screen(turn_off_form(message.error), partial(self._coded, False))
            return
        self.account = message.account
        self._show_account()
        state = "on" if message.turning_on else "off"
        self.notify(f"Two-factor sign-in is {state}.", timeout=4)
        self.dashboard.replica_changed.publish(None)


def _redeemed_words(shown: dict[str, Any]) -> str:
    value = formatting.yuan(shown.get("value_fen"))
    got = f"a {value} fee coupon" if shown.get("kind") == "coupon" else f"{value} cash to earnings"
    return f"Redeemed {int(shown['points']):,} points for {got}; sent with the next sync."


def _head(points: dict[str, Any]) -> Text:
    text = Text(f"{points['balance']:,}", style="bold")
    text.append(" points   ·   tier ")
    text.append(formatting.shown(f"{points['tier_label']} {points['tier']}"), style="bold")
    following = points.get("next_tier")
    if following and points.get("progress_words"):
        text.append(f"   ·   {formatting.shown(points['progress_words'])}")
    elif following:
        text.append(f"   ·   next: {rule_for(following).label} {following} — both bars full")
    else:
        text.append("   ·   the top tier")
    return text


WEEKDAYS = "一二三四五六日"  # Monday first, as China's calendars are


def _calendar(weeks: list[list[dict[str, Any]]]) -> Text:
    """The streak calendar: a row a week, oldest first; ■ checked in, □ not, · still to come
    (store.earnings.checkin_calendar)."""
    if not weeks:
        return Text("")
    text = Text("       " + " ".join(WEEKDAYS), style="dim")
    for week in weeks:
        text.append(f"\n{week[0]['day'][5:]}  ", style="dim")
        for at, day in enumerate(week):
            if at:
                text.append(" ")
            if day["future"]:
                text.append("· ", style="dim")
            elif day["checked_in"]:
                text.append("■ ", style=formatting.ACCENT)
            else:
                text.append("□ ", style="dim")
    return text


def _terms_line(
    plan: dict[str, Any] | None,
    expiring: dict[str, Any] | None,
    referral: dict[str, Any] | None = None,
) -> Text:
    """收费方案 my fee plan (paid until, or lapsed), the next points to expire, and 推荐码 my
    referral code with what it earned."""
    if plan is None:
        return Text("")
    text = Text("收费方案 ", style="bold")
    text.append(formatting.shown(plan.get("plan")), style="bold")
    text.append(f" {formatting.shown(plan.get('label'))}", style="dim")
    if plan.get("paid_until"):
        text.append(f", paid until {str(plan['paid_until'])[:10]}", style="dim")
    if plan.get("lapsed_from"):
        lapsed = formatting.shown(plan["lapsed_from"])
        text.append(f" ({lapsed} lapsed: earnings short of its month)", style="dim")
    text.append("   ·   $ changes it", style="dim")
    if expiring:
        text.append(f"\n{int(expiring['points']):,} points expire on {expiring['on']}", "bold")
    if referral:
        text.append("\n推荐码 ", style="bold")
        text.append(formatting.shown(referral.get("code")), style="bold")
        reward = int(referral.get("reward_points") or 0)
        text.append(f" · a friend's first order earns you both {reward:,} points", style="dim")
        invited = referral.get("invited") or []
        if invited:
            rewarded = sum(1 for one in invited if one.get("status") == REWARDED)
            text.append(f" · {len(invited)} invited, {rewarded} rewarded", style="dim")
    return text


def _checkin_line(checkin: dict[str, Any] | None) -> Text:
    if checkin is None:
        return Text("")
    streak = int(checkin["streak"])
    if checkin["checked_in"]:
        text = Text("签到 ✓ checked in today", style="bold")
        text.append(f"   ·   {streak} day{'s' if streak > 1 else ''} in a row", style="dim")
        return text
    text = Text("签到 not checked in today: ", style="dim")
    text.append(f"i checks in for +{checkin['amount']} points", style="bold")
    if streak > 1:
        text.append(f" ({streak} days in a row)", style="dim")
    return text


def _campaigns_line(campaigns: list[dict[str, Any]]) -> Text:
    """活动: each campaign, what it gives and its urgency ("ends in 3 h"), running ones bold."""
    text = Text("活动 ", style="bold")
    for at, campaign in enumerate(campaigns):
        if at:
            text.append("   ·   ", style="dim")
        style = "bold" if campaign.get("running") else "dim"
        text.append(formatting.shown(campaign.get("name")), style=style)
        text.append(f" {formatting.shown(campaign.get('offer'))}", style=style)
        text.append(f" — {formatting.shown(campaign.get('urgency'))}", style="dim")
    return text


VERIFICATION_WORDS = {  # the account's `verification`, for a freelancer
    "approved": "实名认证 verified",
    "pending": "实名认证 waiting for review",
    "rejected": "实名认证 rejected: `jiedan verify submit` sends it again",
    "none": "实名认证 not yet: `jiedan verify submit` (large awards need it)",
}


def _account_line(account: dict[str, Any]) -> Text:
    text = Text()
    review = account.get("review")
    if review:  # a registration the risk engine held: it works while a reviewer looks
        since = formatting.when(review.get("created_at"))
        text.append(f"⚑ under review (人工审核) since {since}: ", style="bold yellow")
        text.append(formatting.shown(review.get("reason")), style="yellow")
        text.append("; your account works meanwhile\n", style="dim")
    if account.get("totp_enabled"):
        text.append("Two-factor sign-in is on: signing in and withdrawing ask for a code.", "dim")
    else:
        text.append("Two-factor sign-in is off: t turns it on.", "dim")
    if "freelancer" in (account.get("roles") or []):
        state = str(account.get("verification") or "none")
        words = VERIFICATION_WORDS.get(state) or f"实名认证 {formatting.shown(state)}"
        text.append("\n" + words, style="dim")
    return text


def _profile_line(profile: dict[str, Any] | None) -> Text:
    if not profile:
        return Text("Your profile is not here yet: it arrives with a sync (p edits it).", "dim")
    text = formatting.plain(profile.get("name"), style="bold")
    rating = profile.get("rating") or {}
    if rating.get("average"):
        text.append(f"  ★ {rating['average']:.1f} ({rating.get('count', 0)})")
    for badge in profile.get("badges") or []:
        text.append(f"  【{formatting.shown(badge)}】", style="bold")
    details = [
        formatting.shown(" · ".join(profile.get("skills") or [])),
        formatting.shown(profile.get("city")),
        f"{formatting.yuan(profile['hourly_rate_fen'])}/h"
        if profile.get("hourly_rate_fen")
        else "",
    ]
    text.append("   " + "   ".join(d for d in details if d), style="dim")
    return text
