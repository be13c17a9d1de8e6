"""Bad media input: a TypeError/ValueError naming the key and the fix, and nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbtrack
from tests.media.mediarun import history, media_files, pixels


def _refused(run: nbtrack.Run, error: type[Exception], match: str, **row: Any) -> None:
    before = (len(history(run)), media_files(run))
    with pytest.raises(error, match=match):
        run.log({"ok": nbtrack.Image(pixels(7)), **row})
    run._media_files().wait()  # had anything been queued, it would be written now
    assert (len(history(run)), media_files(run)) == before


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (np.full((4, 4), np.nan), ValueError, r"key 'img'.*NaN.*np.nan_to_num"),
        (np.zeros((6, 6, 5)), ValueError, r"key 'img'.*shape \(6, 6, 5\).*HWC or CHW"),
        (np.zeros((4, 4), dtype=complex), TypeError, r"key 'img'.*dtype complex128.*uint8"),
        (np.zeros((4,)), ValueError, r"key 'img'.*shape \(4,\)"),
    ],
)
def test_bad_image_arrays(value: Any, error: type[Exception], match: str) -> None:
    run = nbtrack.init(project="media")
    _refused(run, error, match, img=nbtrack.Image(value))


def test_an_image_over_50_megapixels_is_refused_before_it_is_copied() -> None:
    huge = np.broadcast_to(np.uint8(0), (7100, 7100))  # 50.4 megapixels, no memory behind it
    with pytest.raises(ValueError, match=r"50 megapixel limit; resize it"):
        nbtrack.Image(huge)


def test_a_bad_cell_or_mixed_column_names_key_and_column() -> None:
    run = nbtrack.init(project="media")
    mixed = nbtrack.Table(columns=["a"], data=[[1], ["x"]], allow_mixed_types=True)
    mixed.data.append([object()])
    _refused(run, TypeError, r"key 't'.*column 'a' holds values that cannot be stored", t=mixed)
    with pytest.raises(TypeError, match=r"column 'a' mixes \['number', 'string'\].*allow_mixed"):
        nbtrack.Table(columns=["a"], data=[[1], ["x"]]).to_json()


def test_table_limits() -> None:
    with pytest.raises(ValueError, match=r"1,000,001 rows, over the 1,000,000 limit"):
        nbtrack.Table(columns=["a"], data=[[0]] * 1_000_001)
    with pytest.raises(ValueError, match=r"10,001 columns, over the 10,000 limit"):
        nbtrack.Table(columns=[str(i) for i in range(10_001)])
    with pytest.raises(ValueError, match=r"a row has 2 values but the table has 1 columns"):
        nbtrack.Table(columns=["a"]).add_data(1, 2)


def test_other_bad_values() -> None:
    run = nbtrack.init(project="media")
    _refused(run, ValueError, r"key 'h'.*edges must be one more", h=_hist())
    with pytest.raises(ValueError, match=r"sample_rate=\.\.\."):
        nbtrack.Audio(np.zeros(10))
    with pytest.raises(ValueError, match=r"key 'pc'.*\(N, 3\)"):
        run.log({"pc": nbtrack.Object3D(np.zeros((5, 2)))})
    with pytest.raises(ValueError, match=r"no image file at 'missing.png'"):
        nbtrack.Image("missing.png")
    with pytest.raises(TypeError, match=r"Image\(\) takes an array.*not set"):
        nbtrack.Image({1, 2})


def _hist() -> Any:
    class Late(nbtrack.Histogram):
        def __init__(self) -> None:  # the check runs when logged
            pass

        def _prepare(self, key: str) -> Any:
            return nbtrack.Histogram(np_histogram=([1, 2], [0, 1]))._prepare(key)

    return Late()


def test_without_pillow_the_error_names_the_extra(tmp_path: Path) -> None:
    script = tmp_path / "nopil.py"
    script.write_text(
        "import sys\nsys.modules['PIL'] = None\n"
        "import numpy as np, nbtrack\n"
        "run = nbtrack.init(project='p', mode='offline')\n"
        "try:\n    nbtrack.Image(np.zeros((2, 2, 3))).image\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert "pip install 'nbtrack[media]'" in done.stdout


def test_without_pillow_an_array_image_or_video_is_refused_when_made(tmp_path: Path) -> None:
    script = tmp_path / "nopil_log.py"
    script.write_text(
        "import sys\nsys.modules['PIL'] = None\n"
        "import numpy as np, nbtrack\n"
        "run = nbtrack.init(project='p', mode='offline')\n"
        "for make in (lambda: nbtrack.Image(np.zeros((2, 2, 3))),\n"
        "             lambda: nbtrack.Video(np.zeros((2, 3, 4, 4), dtype=np.uint8))):\n"
        "    try:\n        run.log({'m': make()})\n"
        "    except ImportError as exc:\n        print(exc)\n"
        "run.finish()\n"
        "print(list(nbtrack.Api.local().run('p', run.id).scan_history()))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    lines = done.stdout.splitlines()
    assert (
        lines[:2]
        == ["nbtrack images, videos and masks need Pillow: pip install 'nbtrack[media]'"] * 2
    )
    assert lines[2] == "[]"  # no row refers to a file that was never written
    assert "could not be written" not in done.stderr


def test_import_nbtrack_loads_no_media_numpy_or_pillow() -> None:
    code = (
        "import sys, nbtrack\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'PIL', 'pandas')"
        " or m.startswith('nbtrack.media') or m.startswith('nbtrack.plot')))\n"
        "import numpy\n"
        "nbtrack.Image(numpy.zeros((4, 4, 3), dtype=numpy.uint8))\n"
        "print('PIL' in sys.modules)"  # checked for, not imported, on the caller's thread
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "False"]  # Pillow is the writer thread's to import
