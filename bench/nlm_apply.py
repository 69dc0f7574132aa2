"""The NLM baseline as a whole process: decode a clip, OpenCV NLM on every frame, encode ProRes 422 HQ.

``python bench/nlm_apply.py IN.mov OUT.mov --h H --h-color HC [--threads 2]``

The counterpart of ``answerprint apply cleanup IN.mov OUT.mov`` for ``bench_cleanup_speed.py``: the same
decoder (``answerprint.core.frames.open_media``, float32 code values), ``cv2.fastNlMeansDenoisingColored``
(templateWindowSize 7, searchWindowSize 21) on each frame rounded to 8 bits, as OpenCV requires, and the same
ProRes 422 HQ writer, one frame after the other on ``--threads`` OpenCV threads. Imports only what it runs,
so process start-up is not inflated.
"""
from __future__ import annotations

import argparse

import cv2
import numpy as np


def nlm(frame: np.ndarray, h: float, h_color: float) -> np.ndarray:
    """OpenCV's colour NLM (7/21) on the frame rounded to 8 bits, back to float code values."""
    bgr = np.round(np.clip(frame[..., ::-1], 0, 1) * 255).astype(np.uint8)
    out = cv2.fastNlMeansDenoisingColored(bgr, None, h, h_color, 7, 21)
    return out[..., ::-1].astype(np.float32) / 255


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--h", type=float, required=True, help="NLM filter strength of luminance (8-bit units)")
    parser.add_argument("--h-color", type=float, required=True, help="NLM filter strength of colour (8-bit units)")
    parser.add_argument("--threads", type=int, default=2, help="OpenCV threads")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer

    with open_media(args.input) as reader:
        info = reader.info
        writer = open_writer(OutputSpec(args.output, "prores_422hq", info.width, info.height, info.frame_rate,
                                        first_frame=info.first_frame, color_tags=BT709))
        try:
            for number, pixels in reader.read():
                writer.write(number, nlm(pixels, args.h, args.h_color))
            writer.finish()
        except BaseException:
            writer.abort()
            raise


if __name__ == "__main__":
    main()
