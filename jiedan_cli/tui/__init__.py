"""`jiedan tui` (alias `jiedan dashboard`): the Textual workstation.

House rules (Harlequin's): the dashboard calls the same core as the command line —
store/queries.py for reads, store/actions.py for what a user does, sync/engine.py and
sync/watch.py for sync — and implements no rule or query of its own. Every database or
network call runs in a `@work(thread=True)` worker that opens its own connection
(`JiedanApp.replica()`; sqlite3 connections are single-thread) and only posts a message
(messages.py); handlers on the app and its screens own the state. One stylesheet:
jiedan.tcss.

Nothing outside this package imports it: the command line's hot path never pays for textual
(tests/tui/test_import_hygiene.py)."""
