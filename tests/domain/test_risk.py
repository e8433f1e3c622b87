"""The risk rules (domain/risk.py, issue 12): each rule fires on its pattern and not just
short of it, only for the actions it watches; the score meets the thresholds at their edges;
more firing rules never lower the decision; an ordinary account is allowed everything."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.risk import (
    ALWAYS_READ,
    RULES,
    Action,
    Decision,
    Facts,
    RiskLimits,
    Rule,
    Thresholds,
    assess,
    at_night,
    decide,
    facts_read,
    rules_for,
)

# An ordinary freelancer a year on the platform: verified, one device, a usual amount.
BENIGN = Facts(
    account_age=timedelta(days=400),
    verified=True,
    amount_fen=80_000,
    usual_amount_fen=60_000,
    actions_in_burst_window=3,
    orders_posted_in_window=1,
    bids_in_window=2,
    withdrawals_in_window=0,
    message_recipients_in_window=2,
    quick_cancels=0,
    night_quick_cancels=0,
    compensation_claims=0,
    contact_leaks=0,
    accounts_on_device=1,
    accounts_on_address=1,
    counterpart_linked=False,
    fast_cycles_with_counterpart=0,
    since_credential_change=None,
    payout_account_age=timedelta(days=200),
    unfamiliar_location=False,
)
NEW = {"account_age": timedelta(days=29, hours=23)}
OLD_ENOUGH = {"account_age": timedelta(days=30)}

# rule → (an action it watches, facts that fire it, facts just short of it)
CASES: dict[str, tuple[Action, dict[str, Any], dict[str, Any]]] = {
    "quick_cancels": (Action.POST, {"quick_cancels": 3}, {"quick_cancels": 2}),
    "night_quick_cancels": (Action.POST, {"night_quick_cancels": 2}, {"night_quick_cancels": 1}),
    "compensation_claims": (Action.FUND, {"compensation_claims": 3}, {"compensation_claims": 2}),
    "new_account_large_amount": (
        Action.WITHDRAW,
        NEW | {"amount_fen": 500_000, "usual_amount_fen": None},
        OLD_ENOUGH | {"amount_fen": 500_000, "usual_amount_fen": None},
    ),
    "unverified_large_amount": (
        Action.FUND,
        {"verified": False, "amount_fen": 2_000_000, "usual_amount_fen": 1_000_000},
        {"verified": False, "amount_fen": 1_999_999, "usual_amount_fen": 1_000_000},
    ),
    "amount_above_norm": (
        Action.POST,
        {"amount_fen": 300_000, "usual_amount_fen": 60_000},
        {"amount_fen": 299_999, "usual_amount_fen": 60_000},
    ),
    "unfamiliar_location": (Action.FUND, {"unfamiliar_location": True}, {}),
    "new_account_burst": (
        Action.BID,
        {"account_age": timedelta(days=6), "actions_in_burst_window": 30},
        {"account_age": timedelta(days=7), "actions_in_burst_window": 30},
    ),
    "shared_device": (Action.REGISTER, {"accounts_on_device": 3}, {"accounts_on_device": 2}),
    "shared_address": (Action.REGISTER, {"accounts_on_address": 5}, {"accounts_on_address": 4}),
    "post_velocity": (
        Action.POST,
        {"orders_posted_in_window": 10},
        {"orders_posted_in_window": 9},
    ),
    "bid_velocity": (Action.BID, {"bids_in_window": 20}, {"bids_in_window": 19}),
    "withdrawal_velocity": (
        Action.WITHDRAW,
        {"withdrawals_in_window": 3},
        {"withdrawals_in_window": 2},
    ),
    "message_fanout": (
        Action.MESSAGE,
        {"message_recipients_in_window": 20},
        {"message_recipients_in_window": 19},
    ),
    "contact_leaks": (Action.MESSAGE, {"contact_leaks": 3}, {"contact_leaks": 2}),
    "linked_counterpart": (Action.AWARD, {"counterpart_linked": True}, {}),
    "fast_cycles": (
        Action.FUND,
        {"fast_cycles_with_counterpart": 3},
        {"fast_cycles_with_counterpart": 2},
    ),
    "withdrawal_after_credential_change": (
        Action.WITHDRAW,
        {"since_credential_change": timedelta(hours=23, minutes=59)},
        {"since_credential_change": timedelta(hours=24)},
    ),
    "new_payout_account": (
        Action.WITHDRAW,
        {"payout_account_age": timedelta(days=2, hours=23)},
        {"payout_account_age": timedelta(days=3)},
    ),
}
BY_NAME = {rule.name: rule for rule in RULES}


def fired_names(action: Action, facts: Facts) -> set[str]:
    return {fired.name for fired in assess(action, facts).fired}


def test_every_rule_has_a_case_a_unique_name_and_every_action_a_rule() -> None:
    assert set(CASES) == set(BY_NAME)
    assert len(BY_NAME) == len(RULES)
    for action in Action:
        assert any(action in rule.applies_to for rule in RULES), action


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_rule_fires_on_its_pattern_and_not_just_short_of_it(name: str) -> None:
    action, firing, short = CASES[name]
    assert action in BY_NAME[name].applies_to
    assert name in fired_names(action, replace(BENIGN, **firing))
    assert name not in fired_names(action, replace(BENIGN, **short))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_rule_never_fires_for_an_action_it_does_not_watch(name: str) -> None:
    rule = BY_NAME[name]
    firing = replace(BENIGN, **CASES[name][1])
    assert rule.predicate(firing)
    for action in set(Action) - rule.applies_to:
        assert name not in fired_names(action, firing), action


def test_an_assessment_names_each_fired_rule_with_its_weight_and_reason() -> None:
    facts = replace(BENIGN, **CASES["bid_velocity"][1])
    assessment = assess(Action.BID, facts)
    assert assessment.decision is Decision.REVIEW
    assert assessment.score == 50
    assert assessment.fired == (("bid_velocity", 50, "20 or more quotes in a minute"),)


@pytest.mark.parametrize(
    ("score", "decision"),
    [
        (1, Decision.ALLOW),
        (49, Decision.ALLOW),
        (50, Decision.REVIEW),
        (99, Decision.REVIEW),
        (100, Decision.BLOCK),
        (400, Decision.BLOCK),
    ],
)
def test_the_decision_at_the_threshold_edges(score: int, decision: Decision) -> None:
    assert decide(0, Thresholds()) is Decision.ALLOW
    assert decide(score, Thresholds(review=50, block=100)) is decision
    weighed = Rule("weighed", score, frozenset(Action), lambda f: True, "a test weight")
    assessment = assess(Action.POST, BENIGN, (weighed,))
    assert (assessment.decision, assessment.score) == (decision, score)


def test_thresholds_are_parameters_and_checked() -> None:
    facts = replace(BENIGN, **CASES["shared_address"][1])  # weight 20
    assert assess(Action.REGISTER, facts).decision is Decision.ALLOW
    assert assess(Action.REGISTER, facts, thresholds=Thresholds(20, 40)).decision is (
        Decision.REVIEW
    )
    assert assess(Action.REGISTER, facts, thresholds=Thresholds(10, 20)).decision is (
        Decision.BLOCK
    )
    for review, block in ((0, 100), (60, 50)):
        with pytest.raises(ValueError):
            Thresholds(review, block)
    with pytest.raises(ValueError):
        Rule("weightless", 0, frozenset(Action), lambda f: True, "no weight")


def test_the_limits_and_windows_are_parameters_and_the_reasons_say_them() -> None:
    strict = {
        rule.name: rule for rule in rules_for(RiskLimits(bids=5, bid_window=timedelta(seconds=30)))
    }
    facts = replace(BENIGN, bids_in_window=5)
    assert strict["bid_velocity"].predicate(facts)
    assert not BY_NAME["bid_velocity"].predicate(facts)
    assert strict["bid_velocity"].reason == "5 or more quotes in 30 seconds"


def test_no_rule_blocks_alone_but_the_seeds_patterns_together_do() -> None:
    assert max(rule.weight for rule in RULES) < Thresholds().block
    night_canceller = replace(BENIGN, quick_cancels=3, night_quick_cancels=3)  # 深夜下单立即取消
    assert assess(Action.POST, night_canceller).decision is Decision.BLOCK
    taken_over = replace(  # password changed, a payout account added, then a withdrawal
        BENIGN,
        since_credential_change=timedelta(hours=2),
        payout_account_age=timedelta(hours=1),
    )
    assert assess(Action.WITHDRAW, taken_over).decision is Decision.BLOCK
    stolen = replace(BENIGN, amount_fen=900_000, unfamiliar_location=True)  # 异地 + 大额
    assert assess(Action.POST, stolen).decision is Decision.REVIEW
    washing = replace(BENIGN, counterpart_linked=True, fast_cycles_with_counterpart=4)
    assert assess(Action.FUND, washing).decision is Decision.BLOCK


@pytest.mark.parametrize(
    ("utc", "night"),
    [
        ("2026-12-06T15:59:59", False),  # 23:59:59 in China
        ("2026-12-06T16:00:00", True),  # midnight
        ("2026-12-06T21:59:59", True),  # 05:59:59
        ("2026-12-06T22:00:00", False),  # 06:00
    ],
)
def test_night_is_the_small_hours_in_china(utc: str, night: bool) -> None:
    assert at_night(datetime.fromisoformat(utc).replace(tzinfo=UTC)) is night


def _spans(most: timedelta) -> st.SearchStrategy[timedelta]:
    return st.timedeltas(min_value=timedelta(0), max_value=most)


counts = st.integers(min_value=0, max_value=100)
any_facts = st.builds(
    Facts,
    account_age=_spans(timedelta(days=3_000)),
    verified=st.booleans(),
    amount_fen=st.integers(min_value=0, max_value=10**10),
    usual_amount_fen=st.none() | st.integers(min_value=1, max_value=10**9),
    actions_in_burst_window=counts,
    orders_posted_in_window=counts,
    bids_in_window=counts,
    withdrawals_in_window=counts,
    message_recipients_in_window=counts,
    quick_cancels=counts,
    night_quick_cancels=counts,
    compensation_claims=counts,
    contact_leaks=counts,
    accounts_on_device=st.integers(min_value=1, max_value=20),
    accounts_on_address=st.integers(min_value=1, max_value=50),
    counterpart_linked=st.booleans(),
    fast_cycles_with_counterpart=counts,
    since_credential_change=st.none() | _spans(timedelta(days=30)),
    payout_account_age=st.none() | _spans(timedelta(days=400)),
    unfamiliar_location=st.booleans(),
)
rule_sets = st.lists(st.sampled_from(RULES), unique_by=lambda rule: rule.name).map(tuple)
extra_rules = st.builds(
    Rule,
    name=st.just("extra"),
    weight=st.integers(min_value=1, max_value=200),
    applies_to=st.frozensets(st.sampled_from(Action), min_size=1),
    predicate=st.just(lambda f: True),
    reason=st.just("an extra rule"),
)


@given(st.sampled_from(Action), any_facts, rule_sets, extra_rules)
def test_another_firing_rule_never_lowers_the_decision(
    action: Action, facts: Facts, rules: tuple[Rule, ...], extra: Rule
) -> None:
    before = assess(action, facts, rules)
    after = assess(action, facts, (*rules, extra))
    assert before.score == sum(fired.weight for fired in before.fired)
    assert after.score >= before.score
    assert after.decision.severity >= before.decision.severity
    assert (after.score > before.score) == (action in extra.applies_to)


ordinary_facts = st.builds(
    Facts,
    account_age=st.timedeltas(min_value=timedelta(days=30), max_value=timedelta(days=3_000)),
    verified=st.booleans(),
    amount_fen=st.integers(min_value=0, max_value=99_999),
    usual_amount_fen=st.none() | st.integers(min_value=1, max_value=10**7),
    actions_in_burst_window=counts,
    orders_posted_in_window=st.integers(min_value=0, max_value=9),
    bids_in_window=st.integers(min_value=0, max_value=19),
    withdrawals_in_window=st.integers(min_value=0, max_value=2),
    message_recipients_in_window=st.integers(min_value=0, max_value=19),
    quick_cancels=st.integers(min_value=0, max_value=2),
    night_quick_cancels=st.integers(min_value=0, max_value=1),
    compensation_claims=st.integers(min_value=0, max_value=2),
    contact_leaks=st.integers(min_value=0, max_value=2),
    accounts_on_device=st.integers(min_value=1, max_value=2),
    accounts_on_address=st.integers(min_value=1, max_value=20),  # a campus or an office
    counterpart_linked=st.just(False),
    fast_cycles_with_counterpart=st.integers(min_value=0, max_value=2),
    since_credential_change=st.none() | st.timedeltas(min_value=timedelta(days=1)),
    payout_account_age=st.none() | st.timedeltas(min_value=timedelta(days=3)),
    unfamiliar_location=st.booleans(),
)


@given(st.sampled_from(Action), ordinary_facts)
def test_an_ordinary_account_is_allowed_every_action(action: Action, facts: Facts) -> None:
    assert assess(action, facts).decision is Decision.ALLOW


@given(st.sampled_from(RULES), any_facts, any_facts)
def test_a_rule_reads_only_the_facts_it_declares(rule: Rule, facts: Facts, other: Facts) -> None:
    """The server reads only `facts_read(action)`: a rule's predicate must depend on no field
    outside its `reads` — facts agreeing on those give the same answer, whatever the rest."""
    agreeing = replace(other, **{name: getattr(facts, name) for name in rule.reads})
    assert rule.predicate(agreeing) == rule.predicate(facts)


def test_each_action_reads_only_what_its_rules_need() -> None:
    assert facts_read(Action.BID) == ALWAYS_READ | {
        "actions_in_burst_window",
        "bids_in_window",
        "contact_leaks",
        "accounts_on_device",
        "accounts_on_address",
    }
    assert "quick_cancels" not in facts_read(Action.MESSAGE)
    assert "quick_cancels" in facts_read(Action.POST)
    assert facts_read(Action.REGISTER) == ALWAYS_READ | {
        "accounts_on_device",
        "accounts_on_address",
    }
    with pytest.raises(ValueError, match="no such fact"):
        Rule("typo", 10, frozenset(Action), lambda f: True, "a typo", reads=("bids",))
