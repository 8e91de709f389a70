"""The server's web pages: their stylesheets, scripts and fonts (``static/``), all served by
the queue server itself so that a centre's LAN needs no internet."""
