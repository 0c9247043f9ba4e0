from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .text import UNSTORABLE_MESSAGE, find_unstorable


class StrictJSONParser(JSONParser):
    """JSON that the database can store: a NUL or lone surrogate anywhere is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        path = find_unstorable(data)
        if path:
            raise ParseError(f"{path}: {UNSTORABLE_MESSAGE!s}")
        return data
