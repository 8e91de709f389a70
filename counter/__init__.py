"""Counter terminal for officers (the app comes with issue 4)."""
