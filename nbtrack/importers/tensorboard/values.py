"""One TensorBoard summary value as an nbtrack value: a number, a histogram or an image
reference; hparams plugin data is gathered as the run's config."""

from __future__ import annotations

from typing import Any

from nbtrack.importers.writer import RunWriter

PNG = b"\x89PNG"


class ValueReader:
    def __init__(self, writer: RunWriter) -> None:
        self.writer = writer
        self.plugins: dict[str, str] = {}  # tag -> plugin (only the first event carries it)
        self.hparams: dict[str, Any] = {}
        self.refused: set[str] = set()

    def read(self, item: Any) -> Any:
        kind = item.WhichOneof("value")
        if kind == "simple_value":
            return item.simple_value
        plugin = item.metadata.plugin_data.plugin_name
        if plugin:
            self.plugins[item.tag] = plugin
        plugin = self.plugins.get(item.tag, "")
        if plugin == "hparams":
            self._hparams(item.metadata.plugin_data.content)
            return None
        if kind == "histo":
            return _histogram(item.histo)
        if kind == "image":
            return self._image(item.image.encoded_image_string, item.image.width, item.image.height)
        if kind == "tensor" and plugin in TENSOR_READERS:
            return TENSOR_READERS[plugin](self, item.tensor)
        return self._refuse(item.tag, plugin or kind or "empty")

    def _refuse(self, tag: str, what: str) -> None:
        if tag not in self.refused:
            self.refused.add(tag)
            self.writer.problems.append(f"{tag}: TensorBoard {what} data is not imported")

    def _hparams(self, content: bytes) -> None:
        from tensorboard.plugins.hparams import plugin_data_pb2

        data = plugin_data_pb2.HParamsPluginData()
        data.ParseFromString(content)
        for key, value in data.session_start_info.hparams.items():
            kind = value.WhichOneof("kind")
            if kind is not None:
                self.hparams[key] = getattr(value, kind)

    def _image(self, data: bytes, width: int, height: int) -> dict[str, Any]:
        ext = "png" if data.startswith(PNG) else "jpg"
        return self.writer.add_media(data, ext, "image-file", width=width, height=height)

    def _scalar_tensor(self, tensor: Any) -> Any:
        return float(_array(tensor).reshape(-1)[0])

    def _histogram_tensor(self, tensor: Any) -> Any:
        buckets = _array(tensor).reshape(-1, 3)  # left, right, count
        if len(buckets) == 0:
            return None
        bins = [float(buckets[0][0]), *(float(b[1]) for b in buckets)]
        return {"_type": "histogram", "bins": bins, "values": [float(b[2]) for b in buckets]}

    def _image_tensor(self, tensor: Any) -> Any:
        values = list(tensor.string_val)  # width, height, then the encoded images
        if len(values) < 3:
            return None
        return self._image(values[2], int(values[0]), int(values[1]))


TENSOR_READERS = {
    "scalars": ValueReader._scalar_tensor,
    "histograms": ValueReader._histogram_tensor,
    "images": ValueReader._image_tensor,
}


def _array(tensor: Any) -> Any:
    from tensorboard.util import tensor_util

    return tensor_util.make_ndarray(tensor)


def _histogram(histo: Any) -> dict[str, Any] | None:
    limits = list(histo.bucket_limit)
    if not limits:
        return None
    if len(limits) > 1 and limits[-1] > histo.max:
        limits[-1] = max(histo.max, limits[-2])  # TensorFlow's open last bucket (DBL_MAX)
    bins = [float(histo.min), *map(float, limits)]
    return {"_type": "histogram", "bins": bins, "values": [float(c) for c in histo.bucket]}
