from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbtrack
from nbtrack._run import StepWarning
from nbtrack.errors import NotInitialized, RunFinished


def test_module_functions_before_init_say_what_to_do() -> None:
    with pytest.raises(NotInitialized, match=r"Call nbtrack.init\(\) before nbtrack.log\(\)."):
        nbtrack.log({"a": 1})
    with pytest.raises(NotInitialized, match=r"before nbtrack\.config"):
        nbtrack.config["lr"] = 0.1
    with pytest.raises(NotInitialized, match=r"before nbtrack\.summary"):
        _ = nbtrack.summary["x"]
    assert nbtrack.run is None
    nbtrack.finish()  # nothing to finish: no error


def test_each_committed_log_is_one_step() -> None:
    run = nbtrack.init(project="p")
    run.log({"a": 1})
    run.log({"b": 2}, commit=False)
    run.log({"c": 3}, commit=False)
    run.log({"d": 4})
    run.finish()
    rows = list(nbtrack.Api.local().run(run.id).scan_history())
    assert [r["_step"] for r in rows] == [0, 1]
    assert {k: v for k, v in rows[1].items() if not k.startswith("_")} == {"b": 2, "c": 3, "d": 4}
    for row in rows:
        assert row["_runtime"] >= 0 and row["_timestamp"] > 1e9


def test_explicit_steps_merge_and_lower_steps_are_dropped() -> None:
    run = nbtrack.init(project="p")
    run.log({"a": 1}, step=5)
    run.log({"b": 2}, step=5)
    run.log({"a": 3}, step=7)
    with pytest.warns(StepWarning, match=r"step=6 is lower than the run's current step 7"):
        run.log({"a": 9}, step=6)
    run.finish()
    rows = list(nbtrack.Api.local().run(run.id).scan_history())
    assert [(r["_step"], r.get("a"), r.get("b")) for r in rows] == [(5, 1, 2), (7, 3, None)]


def test_steps_the_server_cannot_store_are_refused_at_log() -> None:
    from nbtrack.server.payloads import INT64_MAX

    top = 2**63 - 1
    assert top == INT64_MAX  # the server's limit for a history step
    run = nbtrack.init(project="p")
    for step in (2**63, 2**70):
        with pytest.raises(
            ValueError, match=rf"step={step} .* largest step .* \({top}, 2\*\*63 - 1\)"
        ):
            run.log({"a": 1}, step=step)
    run.log({"a": 1}, step=top, commit=True)
    with pytest.raises(ValueError, match=rf"step={top + 1} .* largest step"):
        run.log({"a": 2})  # the step after the last storable one
    run.finish()
    rows = list(nbtrack.Api.local().run(run.id).scan_history())
    assert [(r["_step"], r["a"]) for r in rows] == [(top, 1)]


def test_nested_dicts_become_dotted_keys() -> None:
    run = nbtrack.init(project="p")
    run.log({"train": {"loss": 0.5, "acc": {"top1": 0.7}}})
    run.finish()
    row = next(iter(nbtrack.Api.local().run(run.id).scan_history()))
    assert row["train.loss"] == 0.5 and row["train.acc.top1"] == 0.7


def test_config_and_summary_are_recorded() -> None:
    run = nbtrack.init(project="p", config={"lr": 0.1})
    run.config.batch = 32
    nbtrack.config["layers"] = 3
    run.config.update({"opt": "adam"})
    assert run.config.lr == 0.1 and run.config["batch"] == 32
    run.log({"acc": 0.5})
    run.summary["best_acc"] = 0.9
    run.summary = {"note": "ok"}
    run.finish()
    back = nbtrack.Api.local().run(run.id)
    assert back.config == {"lr": 0.1, "batch": 32, "layers": 3, "opt": "adam"}
    assert back.summary["acc"] == 0.5 and back.summary["best_acc"] == 0.9
    assert back.summary["note"] == "ok"
    on_disk = json.loads((Path(run.dir) / "config.json").read_text())
    assert on_disk["opt"] == "adam"


def test_finish_is_idempotent_and_exit_code_sets_failed() -> None:
    run = nbtrack.init(project="p", reinit="create_new")
    run.finish(exit_code=3)
    run.finish()
    assert run.state == "failed"
    assert nbtrack.Api.local().run(run.id).state == "failed"


def test_log_after_finish_is_refused_and_the_run_kept() -> None:
    run = nbtrack.init(project="p")
    run.log({"a": 1})
    run.finish()
    with pytest.raises(RunFinished, match="is finished"):
        run.log({"a": 2})
    assert len(list(nbtrack.Api.local().run(run.id).scan_history())) == 1


def test_context_manager_marks_failed_and_reraises() -> None:
    run = nbtrack.init(project="p")
    with pytest.raises(ZeroDivisionError), run:
        run.log({"a": 1})
        _ = 1 / 0
    assert run.state == "failed"
    assert nbtrack.Api.local().run(run.id).state == "failed"


def test_keyboard_interrupt_marks_killed() -> None:
    run = nbtrack.init(project="p")
    with pytest.raises(KeyboardInterrupt), run:
        raise KeyboardInterrupt
    assert nbtrack.Api.local().run(run.id).state == "killed"


def test_run_directory_layout() -> None:
    run = nbtrack.init(project="p", tags=["a", "b"], notes="n", group="g", job_type="train")
    run.log({"x": 1})
    run.finish()
    path = Path(run.dir)
    assert path.parent.name == "nbtrack"
    assert path.name.startswith("offline-run-") and path.name.endswith(run.id)
    assert (path.parent / "latest-run").resolve() == path.resolve()
    for name in ("run.nbtrack", "run.json", "config.json", "summary.json", "metadata.json"):
        assert (path / name).is_file(), name
    info = json.loads((path / "run.json").read_text())
    assert info["state"] == "finished" and info["tags"] == ["a", "b"] and info["group"] == "g"
    back = nbtrack.Api.local().run(f"p/{run.id}")
    assert (back.notes, back.job_type, back.tags) == ("n", "train", ["a", "b"])
    assert back.metadata["python"] and back.metadata["host"]


def test_names_count_the_projects_runs() -> None:
    numbers = []
    for _ in range(3):
        run = nbtrack.init(project="counted", reinit="finish_previous")
        numbers.append(int(run.name.rsplit("-", 1)[1]))
    other = nbtrack.init(project="other", reinit="finish_previous")
    assert numbers == [1, 2, 3]
    assert other.name.endswith("-1")


def test_disabled_mode_writes_nothing(tmp_path: Path) -> None:
    run = nbtrack.init(project="p", mode="disabled", config={"a": 1})
    run.log({"x": 1})
    run.config.b = 2
    run.summary["s"] = 3
    assert run.summary["x"] == 1 and run.config.b == 2
    run.finish()
    assert run.state == "finished"
    assert not (tmp_path / "nbtrack").exists()


def test_history_as_dataframe() -> None:
    run = nbtrack.init(project="p")
    for i in range(5):
        run.log({"loss": 1 / (i + 1)})
    run.finish()
    frame = nbtrack.Api.local().run(run.id).history(pandas=True)
    assert list(frame["_step"]) == [0, 1, 2, 3, 4]
    assert frame["loss"].iloc[-1] == pytest.approx(0.2)


def test_public_surface_is_sorted_and_real() -> None:
    assert nbtrack.__all__ == sorted(nbtrack.__all__)
    for name in nbtrack.__all__:
        if name != "run":
            assert getattr(nbtrack, name) is not None, name


def test_callbacks_around_finish_see_the_run_open_then_closed() -> None:
    run = nbtrack.init(project="p")
    seen: list[tuple[str, str, bool]] = []

    def before(r: nbtrack.Run) -> None:
        r.save_file("notes.txt", "written before the end")
        seen.append(("before", r.state, r.finished))

    run.before_finish(before)
    run.on_finish(lambda r: seen.append(("after", r.state, r.finished)))
    with pytest.raises(KeyboardInterrupt), run:
        raise KeyboardInterrupt
    run.finish()
    assert seen == [("before", "running", False), ("after", "killed", True)]
    assert (Path(run.dir) / "files" / "notes.txt").read_text() == "written before the end"
