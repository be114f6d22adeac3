"""Helpers of the browser tests: catching what the Content-Security-Policy blocked."""


def watch_csp(page):
    """Return a list that fills with every CSP violation Chromium reports on `page`."""
    blocked = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            blocked.append(message.text)

    page.on("console", on_console)
    return blocked
