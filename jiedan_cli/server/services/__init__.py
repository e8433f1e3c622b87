"""The server's operations. Each takes an open transaction (`conn`), the acting user and plain
arguments, applies the domain rules, writes, appends to the change log, and returns the API
representation. Routers and the sync push call the same functions."""
