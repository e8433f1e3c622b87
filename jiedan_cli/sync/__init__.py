"""The client's way to the server: the HTTP client (`http`), stored credentials
(`credentials`), and the sync engine (`engine`: push the outbox, pull the change log).

Import the submodules directly; this package imports nothing itself, so a command that never
talks to the server pays neither for httpx nor for keyring."""
