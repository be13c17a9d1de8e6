"""Logging every media type in a script: references in the rows, files under files/media/, once."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

import nbtrack
from tests.media.mediarun import every_type, history, media_files, pixels, records


def test_every_type_is_a_reference_with_its_file_recorded_before_the_exit(tmp_path: Path) -> None:
    run = nbtrack.init(project="media")
    run.log(every_type(tmp_path))
    run.finish()
    row = history(run)[0]
    kinds = {key: value["_type"] for key, value in row.items() if isinstance(value, dict)}
    assert kinds == {
        "array": "image-file", "float": "image-file", "pil": "image-file", "file": "image-file",
        "gallery": "images/separated", "table": "table-file", "hist": "histogram",
        "html": "html-file", "audio": "audio-file", "video": "video-file",
        "cloud": "object3D-file", "roc": "plot",
    }  # fmt: skip
    media = [(k, p) for k, p in records(run) if k != "file" or p["name"].startswith("media/")]
    kinds_in_order = [kind for kind, _ in media]
    assert kinds_in_order.index("h") < kinds_in_order.index("file") < kinds_in_order.index("exit")
    recorded = {p["name"]: p for kind, p in media if kind == "file"}
    files = media_files(run)
    assert set(recorded) == set(files)
    for name, payload in recorded.items():
        assert payload["size"] == len(files[name])
    for value in (row["array"], row["table"], row["html"], row["cloud"]):
        assert value["path"] in files and value["path"].startswith("media/" + value["sha256"])
    assert row["array"]["masks"]["truth"]["path"] in files
    for cell in json.loads(files[row["table"]["path"]])["data"]:
        assert cell[1]["path"] in files


def test_images_decode_to_the_logged_pixels(tmp_path: Path) -> None:
    run = nbtrack.init(project="media")
    values = every_type(tmp_path)
    run.log(values)
    run.finish()
    row, files = history(run)[0], media_files(run)

    def decoded(ref: dict[str, object]) -> np.ndarray:
        return np.asarray(PILImage.open(io.BytesIO(files[str(ref["path"])])))

    assert (decoded(row["array"]) == pixels(0)).all()
    assert decoded(row["float"]).shape == (8, 8, 3)
    assert (decoded(row["pil"]) == pixels(3)).all()
    assert files[row["file"]["path"]] == (tmp_path / "picture.png").read_bytes()
    assert (decoded(row["gallery"]["items"][1]) == pixels(5)).all()
    assert row["array"]["boxes"]["predictions"]["class_labels"] == {"1": "cat"}
    with wave.open(io.BytesIO(files[row["audio"]["path"]])) as audio:
        assert audio.getframerate() == 8000 and audio.getnframes() == 8000
    assert PILImage.open(io.BytesIO(files[row["video"]["path"]])).n_frames == 3
    assert json.loads(files[row["cloud"]["path"]])["points"][1] == [3.0, 4.0, 5.0]
    assert row["hist"]["values"] == [10] * 10 and len(row["hist"]["bins"]) == 11


def test_the_same_content_is_one_file_recorded_once() -> None:
    run = nbtrack.init(project="media")
    for _ in range(3):
        run.log({"a": nbtrack.Image(pixels(0)), "b": nbtrack.Image(pixels(0))})
    run.finish()
    paths = {row[key]["path"] for row in history(run) for key in ("a", "b")}
    assert len(paths) == 1
    recorded = [p["name"] for kind, p in records(run) if kind == "file"]
    assert [name for name in recorded if name.startswith("media/")] == list(paths)


def test_changing_the_array_after_log_does_not_change_what_is_stored() -> None:
    run = nbtrack.init(project="media")
    array = pixels(0)
    run.log({"img": nbtrack.Image(array)})
    array[:] = 0  # the caller reuses its buffer at once
    run.finish()
    stored = media_files(run)[history(run)[0]["img"]["path"]]
    assert (np.asarray(PILImage.open(io.BytesIO(stored))) == pixels(0)).all()


def test_long_numeric_lists_become_histograms_short_ones_stay_lists() -> None:
    run = nbtrack.init(project="media")
    run.log({"long": list(range(33)), "array": np.ones(100), "short": list(range(32))})
    run.log({"words": ["a"] * 40})
    run.finish()
    first, second = history(run)
    assert first["long"]["_type"] == "histogram" and sum(first["long"]["values"]) == 33
    assert first["array"]["_type"] == "histogram" and len(first["array"]["values"]) == 64
    assert first["short"] == list(range(32)) and second["words"] == ["a"] * 40


def test_histogram_from_np_histogram_keeps_counts_and_edges() -> None:
    counts, edges = np.histogram([1, 2, 2, 3], bins=3)
    value = nbtrack.Histogram(np_histogram=(counts, edges)).to_json()
    assert value == {"_type": "histogram", "values": [1, 2, 1], "bins": edges.tolist()}


def test_a_disabled_run_accepts_media_and_writes_nothing(tmp_path: Path) -> None:
    run = nbtrack.init(project="media", mode="disabled")
    run.log({"img": nbtrack.Image(pixels(0)), "t": nbtrack.Table(data=[[1, 2, 3]])})
    run.finish()
    assert not list(tmp_path.rglob("*.png"))


def test_mp4_without_imageio_names_the_extra() -> None:
    import pytest

    run = nbtrack.init(project="media")
    video = nbtrack.Video(np.zeros((2, 3, 8, 8), dtype=np.uint8), format="mp4")
    with pytest.raises(ImportError, match=r"imageio\[ffmpeg\]"):
        run.log({"v": video})


def test_torch_tensors_as_images_and_histograms() -> None:
    import torch

    run = nbtrack.init(project="media")
    chw = torch.linspace(0, 1, 3 * 8 * 6).reshape(3, 8, 6)
    run.log({"img": nbtrack.Image(chw), "weights": torch.ones(100), "one": torch.tensor(0.5)})
    run.finish()
    row = history(run)[0]
    assert (row["img"]["width"], row["img"]["height"], row["img"]["mode"]) == (6, 8, "RGB")
    stored = np.asarray(PILImage.open(io.BytesIO(media_files(run)[row["img"]["path"]])))
    expected = (chw.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    assert (stored == expected).all()
    assert row["weights"]["_type"] == "histogram" and row["one"] == 0.5


def test_a_reference_whose_file_never_came_says_so() -> None:
    import pytest

    from nbtrack.media.readback import RunFiles, wrap

    value = wrap({"_type": "image-file", "path": "media/abc.png"}, RunFiles(list))
    with pytest.raises(FileNotFoundError, match=r"'media/abc.png' is not among the run's files"):
        value.read_bytes()


def test_an_image_shows_inline_as_png_and_gives_its_pil_image() -> None:
    image = nbtrack.Image(pixels(0), caption="c")
    assert (np.asarray(image.image) == pixels(0)).all()
    assert (np.asarray(PILImage.open(io.BytesIO(image._repr_png_()))) == pixels(0)).all()


def test_a_fork_keeps_the_media_its_rows_refer_to() -> None:
    source = nbtrack.init(project="media")
    source.log({"img": nbtrack.Image(pixels(0))})
    source.log({"img": nbtrack.Image(pixels(1))})
    source.finish()
    fork = nbtrack.init(project="media", fork_from=f"{source.id}?_step=0")
    fork.finish()
    (row,) = history(fork)
    assert media_files(fork)[row["img"]["path"]] == media_files(source)[row["img"]["path"]]
    recorded = {p["name"] for kind, p in records(fork) if kind == "file"}
    assert row["img"]["path"] in recorded


def test_matplotlib_figures_become_images() -> None:
    import pytest

    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(2, 1), dpi=50)
    axes.plot([0, 1], [1, 0])
    run = nbtrack.init(project="media")
    run.log({"explicit": nbtrack.Image(figure, caption="fig"), "as_is": figure})
    pyplot.close(figure)
    run.finish()
    row = history(run)[0]
    for key in ("explicit", "as_is"):
        assert (row[key]["_type"], row[key]["width"], row[key]["height"]) == ("image-file", 100, 50)
        assert media_files(run)[row[key]["path"]].startswith(b"\x89PNG")
