"""Display app: lobby TV and counter boards, with the voice announcer (display.voice)."""
