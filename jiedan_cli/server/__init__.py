"""The bundled platform server: the marketplace the client syncs with."""
