"""The administration pages (/admin): the sections of a site's configuration, and the
routes that edit them."""
