"""Images in a real browser: paste one into the editor, describe it, publish, see it sized and lazy."""

from __future__ import annotations

import base64
import io

import httpx
from PIL import Image
from playwright.sync_api import Page

from tests.pages.conftest import Site, login

KEY = "where-is-the-call-button"
SOURCE = f"""---
key: {KEY}
locale: en
title: "Where is the call button?"
status: draft
---
The call button is the green one at the bottom of the screen.

"""


def _picture(fmt: str, size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


PASTE = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "image/png"}));
  const source = document.getElementById("source");
  source.focus();
  source.setSelectionRange(source.value.length, source.value.length);
  source.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
}"""


SELECTED = (
    "() => { const s = document.getElementById('source'); return s.value.slice(s.selectionStart, s.selectionEnd); }"
)
LOADED = """() => {
  const image = document.querySelector("img[alt='The green call button']");
  return image !== null && image.complete && image.naturalWidth === 320;
}"""


def test_an_image_pasted_into_the_editor_is_shown_sized_and_lazy_on_the_help_page(page: Page, site: Site) -> None:
    login(page, site, "editor")
    page.wait_for_url("**/admin")
    page.goto(f"{site.base}/admin/new?locale=en")
    page.locator("#source").fill(SOURCE)
    shot = _picture("PNG", (320, 200), (20, 160, 60))
    page.evaluate(PASTE, [base64.b64encode(shot).decode(), "screenshot.png"])
    page.locator("#image-status").filter(has_text="Image added (320×200)").wait_for()
    text = page.locator("#source").input_value()
    assert "![describe the image](asset:" in text
    selected = page.evaluate(SELECTED)
    assert selected == "describe the image"  # the editor types the description straight over it
    page.keyboard.type("The green call button")
    assert "![The green call button](asset:" in page.locator("#source").input_value()
    preview = page.locator(".pv[data-channel=web] .body img[alt='The green call button']")
    preview.wait_for()
    assert (preview.get_attribute("width"), preview.get_attribute("height")) == ("320", "200")

    # A second image through the file picker, left without a description: the save refuses it.
    page.locator("#image-file").set_input_files(
        files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _picture("JPEG", (90, 60), (200, 0, 0))}]
    )
    page.locator("#image-status").filter(has_text="Image added (90×60)").wait_for()
    page.keyboard.press("Delete")  # the selected "describe the image" goes: no alt text at all
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".problems, .preview-problems, body").filter(has_text="has no alt text").first.wait_for()
    assert page.locator("#source").input_value().count("](asset:") == 2  # nothing the editor wrote is lost
    source = page.locator("#source").input_value()
    page.locator("#source").fill(source.replace("![](asset:", "![A red square](asset:"))
    page.locator("#editor-form button[type=submit]").click()
    page.locator(".flash").filter(has_text="Saved revision").wait_for()
    page.locator("form[action$='/publish'] button").click()
    page.locator(".flash").filter(has_text="Published revision").wait_for()

    page.goto(f"{site.base}/help/en/{KEY}")
    image = page.locator("article img[alt='The green call button'], main img[alt='The green call button']").first
    image.scroll_into_view_if_needed()
    assert image.get_attribute("loading") == "lazy" and image.get_attribute("decoding") == "async"
    assert (image.get_attribute("width"), image.get_attribute("height")) == ("320", "200")
    page.wait_for_function(LOADED)
    src = image.get_attribute("src") or ""
    served = httpx.get(f"{site.base}{src}" if src.startswith("/") else src, timeout=30)
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    page.screenshot(path=str(site.shots / "help-image.png"))
