"""``Table`` as wandb's: building, reading, log modes, data frames, and reading it back."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import nbtrack
from tests.media.mediarun import history, media_files, pixels


def test_building_and_reading_a_table() -> None:
    table = nbtrack.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])
    table.add_data(3, None)
    table.add_column("c", [0.1, 0.2, 0.3])
    assert table.get_column("a") == [1, 2, 3]
    assert table.get_column("c", convert_to="numpy").dtype == np.float64
    assert table.get_index() == [0, 1, 2]
    assert list(table.iterrows())[2] == (2, [3, None, 0.3])
    assert table.get_dataframe().shape == (3, 3)
    with pytest.raises(KeyError, match="no column 'z'"):
        table.get_column("z")
    with pytest.raises(ValueError, match="already has a column 'a'"):
        table.add_column("a", [1, 2, 3])
    with pytest.raises(ValueError, match="not optional"):
        nbtrack.Table(columns=["a"], optional=False).add_data(None)
    with pytest.raises(TypeError, match="column 'a' has dtype int"):
        nbtrack.Table(columns=["a"], dtype=[int]).add_data("x")
    assert nbtrack.Table().columns == ["Input", "Output", "Expected"]


def test_dataframe_in_and_out_and_a_frame_logged_as_is() -> None:
    frame = pd.DataFrame({"x": [1.5, np.nan], "name": ["a", "b"]})
    run = nbtrack.init(project="media")
    run.log({"t": nbtrack.Table(dataframe=frame), "raw": frame})
    run.finish()
    row = history(run)[0]
    for key in ("t", "raw"):
        stored = json.loads(media_files(run)[row[key]["path"]])
        assert stored["columns"] == ["x", "name"] and stored["data"] == [[1.5, "a"], [None, "b"]]
        assert stored["types"] == ["number", "string"] and row[key]["nrows"] == 2
    read = nbtrack.Api.local().run(run.id).scan_history()
    pd.testing.assert_frame_equal(next(read)["t"].get_dataframe(), frame)


def test_incremental_tables_log_only_new_rows() -> None:
    run = nbtrack.init(project="media")
    table = nbtrack.Table(columns=["step", "img"], log_mode="INCREMENTAL")
    for step in range(3):
        table.add_data(step, nbtrack.Image(pixels(step)))
        run.log({"preds": table})
    run.finish()
    refs = [row["preds"] for row in history(run)]
    assert [(r["increment"], r["nrows"]) for r in refs] == [(0, 1), (1, 1), (2, 1)]
    data = [json.loads(media_files(run)[r["path"]])["data"][0][0] for r in refs]
    assert data == [0, 1, 2]


def test_mutable_tables_log_the_whole_table_each_time() -> None:
    run = nbtrack.init(project="media")
    table = nbtrack.Table(columns=["a"], log_mode="MUTABLE")
    table.add_data(1)
    run.log({"t": table})
    table.add_data(2)
    run.log({"t": table})
    run.finish()
    assert [row["t"]["nrows"] for row in history(run)] == [1, 2]


def test_table_html_shows_the_head_with_image_cells() -> None:
    table = nbtrack.Table(
        columns=["i", "img"], data=[[i, nbtrack.Image(pixels(i))] for i in range(12)]
    )
    html = table._repr_html_()
    assert "12 rows x 2 columns" in html and html.count("<tr>") == 11  # header + 10 rows
    assert html.count("data:image/png;base64,") == 10


@pytest.mark.parametrize(
    ("rows", "types"),
    [
        ([[1, 2.5], [3, 4.0]], ["number", "number"]),
        ([["a", "b"], ["c", "d"]], ["string", "string"]),
        ([[True, False]], ["bool", "bool"]),
        ([[None, None]], ["none", "none"]),
        ([[1, None], [2, None]], ["number", "none"]),
        ([[1, "x"], [2.5, "y"]], ["number", "string"]),
        ([[np.float32(1.5), 2]], ["number", "number"]),
    ],
)
def test_column_types_one_pass_agrees_with_the_per_column_kinds(
    rows: list[list[object]], types: list[str]
) -> None:
    from nbtrack.media import tablefile

    assert tablefile.column_types(["a", "b"], rows, False) == types


def test_a_row_of_the_wrong_width_is_named() -> None:
    with pytest.raises(ValueError, match="a row has 1 values but the table has 2 columns"):
        nbtrack.Table(columns=["a", "b"], data=[[1, 2], [3]])


def test_a_logged_table_keeps_what_it_held_at_log_time() -> None:
    rows = [[i, float(i)] for i in range(1000)]
    run = nbtrack.init(project="media")
    table = nbtrack.Table(columns=["i", "x"], data=rows)
    rows[0][1] = -1.0  # the caller's rows: the table copied them
    run.log({"t": table})
    table.data[1][1] = -2.0  # the table's own rows, after log(): the logged file is made
    table.add_data(1000, 1000.0)
    run.finish()
    ref = history(run)[0]["t"]
    stored = json.loads(media_files(run)[ref["path"]])
    assert stored["data"] == [[i, float(i)] for i in range(1000)] and ref["nrows"] == 1000
    assert ref["sha256"] == hashlib.sha256(media_files(run)[ref["path"]]).hexdigest()
