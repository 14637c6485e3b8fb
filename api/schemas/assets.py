"""The answer to an image upload: where it is kept and how to put it in an article."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AssetOut(BaseModel):
    """An uploaded image, re-encoded and stored by the sha256 of its bytes."""

    id: str = Field(description="sha256 of the stored bytes; the image is served at /assets/{id}")
    url: str = Field(description="where the image is served (cached for ever: it never changes)")
    markdown: str = Field(description="the reference to put in an article; fill in the alt text")
    media_type: str
    width: int
    height: int
    bytes: int
    created: bool = Field(description="false when the same image was already stored")
