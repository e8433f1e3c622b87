"""Points (积分): how many are earned for what (money.md, the seed 2.3)."""

from __future__ import annotations

POINTS_PER_YUAN_COMPLETED = 0.1  # 1 point per ¥10 of a completed order
POINTS_FOR_REVIEW = 10
POINTS_FOR_REFERRAL = 200
CHECKIN_BASE = 5
CHECKIN_STREAK_BONUS = 1  # per consecutive day, capped
CHECKIN_STREAK_CAP = 10
CASHOUT_FEN_PER_POINT = 1  # 100 points = ¥1


def points_for_completion(amount_fen: int, multiplier: int = 1) -> int:
    return (amount_fen // 1_000) * multiplier


def points_for_checkin(streak_days: int, multiplier: int = 1) -> int:
    bonus = min(max(streak_days - 1, 0), CHECKIN_STREAK_CAP) * CHECKIN_STREAK_BONUS
    return (CHECKIN_BASE + bonus) * multiplier
