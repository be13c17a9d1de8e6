"""The loop over a ``.wandb`` log's records, shared by the reader that writes the run
(:class:`nbtrack.importers.wandb.run.WandbRun`) and the helper that reads the second half of a long
log (:mod:`nbtrack.importers.wandb.half`).

Records come in batches (those ending in each 32 KiB block). A batch of history and summary
records only (what ``run.log()`` writes) is split by kind in one C call: the history payloads are
held and turned into lines many at a time, the summary ones folded (they write nothing until the
end, so their place among the rows does not matter). Any other record is handed on in its place,
after the rows held before it when it writes to the run.
"""

from __future__ import annotations

from typing import Any

from nbtrack.importers.wandb.rows import HEAD, SUMMARY_HEAD, Block, HistoryBlocks, Kinds
from nbtrack.importers.wandb.summary import Fold

BATCH = 4096  # history payloads turned into lines together
QUIET = {"summary", "telemetry", "header", "footer", "output", "output_raw", "metric"}


class Replay:
    """Subclasses say what a block of lines, history read one by one, and any other record
    become (``on_block``, ``on_rows``, ``on_record``) and where rows must start (``next_step``)."""

    def __init__(self, pb: Any) -> None:
        self.pb = pb
        self.blocks, self.kinds = HistoryBlocks(pb), Kinds(pb)
        self.summaries = Fold(pb)
        self.problems: list[str] = []

    @property
    def next_step(self) -> int:
        raise NotImplementedError

    def on_block(self, block: Block) -> None:
        raise NotImplementedError

    def on_rows(self, payloads: list[bytes]) -> None:
        raise NotImplementedError

    def on_record(self, kind: str, record: Any) -> None:
        raise NotImplementedError

    def replay(self, batches: Any) -> None:
        held: list[bytes] = []  # history payloads not written yet
        for records in batches:
            held = self._plain(records, held) if records else held
            if len(held) >= BATCH:
                self._history(held)
                held = []
        self._history(held)

    def _plain(self, records: list[bytes], held: list[bytes]) -> list[bytes]:
        """History and summary records only: the history ones added to ``held``, the summary
        ones folded. Records of other kinds among them: see ``_mixed``."""
        taken = self._take(records, held)
        return taken if taken is not None else self._mixed(records, held)

    def _take(self, records: list[bytes], held: list[bytes]) -> list[bytes] | None:
        """``held`` with the records' history payloads, their summary ones folded; None (nothing
        taken) when a record is of another kind, of none or of two."""
        kinds = self.kinds.split(records)
        if kinds is None:
            return None
        held += kinds[0]
        self.summaries.add(kinds[1])
        return held

    def _mixed(self, records: list[bytes], held: list[bytes]) -> list[bytes]:
        """Records of several kinds: the history and summary ones between the others taken as
        above (or read one by one when they are not what they seemed), the others read (after
        the rows held when they write to the run)."""
        plain: list[bytes] = []
        for data in records:
            if HEAD.match(data) or SUMMARY_HEAD.match(data):
                plain.append(data)
                continue
            held, plain = self._take_or_read(plain, held), []
            if (record := self.parse(data)) is not None:
                kind = record.WhichOneof("record_type")
                if kind not in QUIET:
                    self._history(held)
                    held = []
                self.dispatch(kind, record)
        return self._take_or_read(plain, held)

    def _take_or_read(self, plain: list[bytes], held: list[bytes]) -> list[bytes]:
        if not plain:
            return held
        taken = self._take(plain, held)
        if taken is not None:
            return taken
        self._history(held)
        self._each(plain)
        return []

    def _each(self, records: list[bytes]) -> None:
        for data in records:
            if (record := self.parse(data)) is not None:
                self.dispatch(record.WhichOneof("record_type"), record)

    def parse(self, data: bytes, kind: str = "Record") -> Any:
        try:
            return getattr(self.pb, kind).FromString(data)
        except Exception as exc:  # a record wandb itself could not read
            self.problems.append(f"unreadable record: {exc}")
            return None

    def dispatch(self, kind: str | None, record: Any) -> None:
        if kind == "summary":
            self.summaries.add([record.summary.SerializeToString()])  # folded in file order
        elif kind is not None:
            self.on_record(kind, record)

    def _history(self, held: list[bytes]) -> None:
        """History payloads: as one block of lines, or one by one when that fails."""
        if held:
            block = self.blocks.lines(held, self.next_step)
            if block is not None:
                self.on_block(block)
            else:
                self.on_rows(held)
