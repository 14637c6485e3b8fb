"""Images for articles: upload one, get the Markdown that shows it."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json


class AssetOperations:
    """Images (editors): stored re-encoded, by the hash of their bytes; served at `/assets/{id}`."""

    @endpoint("POST", "/api/v1/assets", parse=Json(models.Asset))
    def upload_image(self, data: bytes, *, media_type: str = "image/png") -> Parts:
        """Upload a PNG, JPEG, WebP or GIF (≤ 10 MB); put the answer's `markdown` in an article with alt text.

        The same image twice is one asset (`created` is false the second time). Not a picture or
        SVG raises the 415 error, too big the 413 one.
        """
        return Parts(content=data, content_type=media_type)
