"""The client's local SQLite replica: the server copy, the outbox, and the view over both.

Import the submodules directly (`from jiedan_cli.store.queries import list_orders`): this
package imports nothing itself, so a read command pays only for what it uses — never for
sqlite_utils, httpx or textual (tests/store/test_import_hygiene.py)."""
