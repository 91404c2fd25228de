"""An image over PIL's pixel limit (a "decompression bomb": a few KB on disk, hundreds of
megapixels) is an unreadable image: one line naming its path, no traceback (issue 22, item 5)."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.helpers import tiny_supernet_training
from tests.test_mistakes import _images, check

pytest.importorskip("torchvision")
from PIL import Image  # noqa: E402

from evogroup.core.errors import DataError  # noqa: E402
from evogroup.torch.data.folders import load_image  # noqa: E402


def png_claiming(path, pixels: int) -> None:
    """A tiny PNG whose header claims a square grey image of about ``pixels`` pixels
    (PIL checks the size when it opens the file, before decoding anything)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    side = int(pixels**0.5) + 1
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("times", [1.2, 2.5], ids=["over-the-warning", "over-the-error"])
def test_the_image_loader_names_an_oversized_image(tmp_path, times):
    bomb = tmp_path / "huge.png"
    png_claiming(bomb, int(times * Image.MAX_IMAGE_PIXELS))
    with pytest.raises(DataError, match=f"cannot read image {bomb} .*exceeds limit"):
        load_image(str(bomb))


def test_a_182_megapixel_png_among_the_training_images_is_one_line(tmp_path):
    data = tmp_path / "data"
    _images(data / "cats", 20), _images(data / "dogs", 20)
    bomb = data / "cats" / "000.png"  # among the images sampled for the image size
    png_claiming(bomb, 182_000_000)
    args = tiny_supernet_training(data, tmp_path / "run")
    check(args, 1, "cannot read image", str(bomb), "decompression bomb")
    assert not (tmp_path / "run").exists()
