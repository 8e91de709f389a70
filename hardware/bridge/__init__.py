"""Hardware bridge (``qms bridge``): joins the serial bus of call keypads, counter LED boards
and rating pads to the server as an ordinary protocol client (role bridge: it acts only for
the counters its token lists).

:mod:`.device_map` reads the map file (which bus address is which device of which counter),
:mod:`.core` is the pure logic (key -> counter action, event -> LED board command, pad ->
rating, device health -> ``device_status``), :mod:`.bus_worker` polls the bus in its own
thread, and :mod:`.bridge` runs the protocol client on an asyncio loop in another.
"""
