"""Media to log: ``Image``, ``Table``, ``Histogram``, ``Html``, ``Audio``, ``Video``, ``Object3D``.

Each becomes a small reference in the history row and, but for ``Histogram``, a file under the
run's ``files/media/`` named by its content. docs/media-format.md describes what is stored.
Pillow and numpy come with the ``nbtrack[media]`` extra.
"""

from __future__ import annotations

from nbtrack.media.audio import Audio
from nbtrack.media.base import Media
from nbtrack.media.histogram import Histogram
from nbtrack.media.html import Html
from nbtrack.media.image import Image
from nbtrack.media.object3d import Object3D
from nbtrack.media.table import Table
from nbtrack.media.video import Video

__all__ = ["Audio", "Histogram", "Html", "Image", "Media", "Object3D", "Table", "Video"]
