"""Scheduled work: auto-release of unanswered deliveries, review unblinding."""
