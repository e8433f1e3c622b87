"""Pure rules shared by the server and the client. No I/O, and no import of our other packages."""
