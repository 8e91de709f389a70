"""Device-side code: ticket printers and serial-bus devices."""
