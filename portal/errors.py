"""The one shape of a refusal by the rules, shared by the services and the websocket edge."""


class Refusal(Exception):
    """A write or a frame the rules refuse: `code` is stable for clients, `detail` is for the
    person (translated)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail
