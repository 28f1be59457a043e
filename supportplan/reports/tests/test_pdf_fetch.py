"""The PDF step opens the charts' `data:` URLs and nothing else (issue 16): a report never
reaches the network or the disk, even if its HTML named a resource there."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from supportplan.reports import charts, render


def secret_png() -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def receiver():
    """A real HTTP server on 127.0.0.1 that records every request it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(secret_png())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _images(pdf: bytes) -> int:
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


def test_data_urls_are_drawn_and_http_and_file_urls_are_never_opened(receiver, tmp_path):
    base, seen = receiver
    secret = tmp_path / "secret.png"
    chart = charts.stacked_bars(["10-01", "10-02"], [("工单", [3.0, 5.0])])
    Image.new("RGB", (4, 4), "red").save(secret)  # a real image: drawn if it were opened
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/style.css"></head><body>'
        f"<p>图表 chart</p>{chart}"
        f'<img src="{base}/tracker.png"><img src="file://{secret}">'
        f'<p style="background: url({base}/bg.png)">x</p></body></html>'
    )
    pdf = render.render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert _images(pdf) == 1  # the chart, and neither of the others
    assert seen == []
