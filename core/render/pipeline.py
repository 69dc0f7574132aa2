"""Three overlapping stages joined by bounded queues: decode → process → encode.

Memory stays flat whatever the clip length: at most ``QUEUE_DEPTH`` frames wait between two stages, plus
the processor's temporal window. The first error in any stage stops the others and is re-raised to the
caller; cancellation is polled between frames.
"""
from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Callable, Iterable, Iterator

import numpy as np

from ..progress import CancelToken

QUEUE_DEPTH = 2  # enough to overlap the stages; a UHD float frame is ~100 MB
_END = object()

Frame = tuple[int, np.ndarray]


class _Stop(Exception):
    """Raised inside a stage when another stage failed or the user cancelled."""


class Pipeline:
    """Runs ``decode`` (an iterator of frames), ``process`` (per frame window) and ``write`` in three threads.

    Parameters
    ----------
    cancel : CancelToken
        Polled between frames by every stage.
    """

    def __init__(self, cancel: CancelToken):
        self.cancel = cancel
        self._failure: list[BaseException] = []
        self._stopping = threading.Event()

    def _halted(self) -> bool:
        return self._stopping.is_set() or self.cancel.cancelled

    def _put(self, q: queue.Queue, item: object) -> None:
        while True:
            if self._halted():
                raise _Stop
            try:
                q.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def _get(self, q: queue.Queue) -> object:
        while True:
            if self._halted():
                raise _Stop
            try:
                return q.get(timeout=0.05)
            except queue.Empty:
                continue

    def _stage(self, body: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                body()
            except _Stop:
                pass
            except BaseException as error:  # handed to the caller's thread
                self._failure.append(error)
                self._stopping.set()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def run(self, frames: Iterable[Frame], process: Callable[[Iterator[Frame]], Iterator[Frame]],
            write: Callable[[int, np.ndarray], None], decode_ahead: int = QUEUE_DEPTH) -> None:
        """Run to the end, or raise the first stage error (or ``Cancelled``).

        ``decode_ahead`` frames may wait between decode and process: 1 is enough when ``process`` holds
        decoded frames of its own ahead of the one it works on (a temporal window, ``windows``).
        """
        decoded: queue.Queue = queue.Queue(decode_ahead)
        processed: queue.Queue = queue.Queue(QUEUE_DEPTH)

        def decode() -> None:
            for item in frames:
                self._put(decoded, item)
            self._put(decoded, _END)

        def drain(q: queue.Queue) -> Iterator[Frame]:
            while (item := self._get(q)) is not _END:
                yield item  # type: ignore[misc]

        def transform() -> None:
            for item in process(drain(decoded)):
                self._put(processed, item)
            self._put(processed, _END)

        def encode() -> None:
            for number, pixels in drain(processed):
                write(number, pixels)

        threads = [self._stage(decode), self._stage(transform), self._stage(encode)]
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)
        except KeyboardInterrupt:
            self.cancel.cancel()
            for thread in threads:
                thread.join()
        if self._failure:
            raise self._failure[0]
        self.cancel.raise_if_cancelled()


def windows(frames: Iterator[Frame], radius: int) -> Iterator[tuple[int, list[np.ndarray]]]:
    """``(frame_number, window)`` for each frame, the window holding ``radius`` frames either side.

    At the ends of the range the nearest frame is repeated, so every window has ``2 * radius + 1`` frames.
    """
    if radius == 0:
        for number, pixels in frames:
            yield number, [pixels]
        return
    buffer: deque[Frame] = deque()
    centre = 0  # index in buffer of the next frame to emit
    for item in frames:
        buffer.append(item)
        while centre < len(buffer) and len(buffer) - 1 - centre >= radius:
            yield _window_at(buffer, centre, radius)
            centre += 1
            if centre > radius:
                buffer.popleft()
                centre -= 1
    while centre < len(buffer):
        yield _window_at(buffer, centre, radius)
        centre += 1


def _window_at(buffer: deque[Frame], centre: int, radius: int) -> tuple[int, list[np.ndarray]]:
    last = len(buffer) - 1
    picks = [buffer[min(max(centre + offset, 0), last)][1] for offset in range(-radius, radius + 1)]
    return buffer[centre][0], picks
