"""An uploaded image, as `upload_image` returns it."""

from typing import TypedDict


class Asset(TypedDict):
    id: str
    url: str
    markdown: str
    media_type: str
    width: int
    height: int
    bytes: int
    created: bool
