"""How far a relight exported for hosts is from answerprint's render of a moving shot (docs/hosts.md).

The exported graph measures the shading statistics of each frame alone; ``answerprint apply relight`` pools them
over ``temporal_radius`` (default 2) frames each side. On a pan across a photograph (scene-linear ACEScg EXR
frames) this prints, per frame, the export's difference from answerprint's default render and from its
``temporal_radius=0`` render, and the flicker of each: the frame-to-frame change of the overall gain
(mean relit / mean source), in stops.

    python bench/relight/export_vs_render.py PACK PRODUCTION [--width 384 --height 216 --frames 24]

Needs the production's signing key (the export signs its files). Runs the ``answerprint`` command for both
renders and for the export, and onnxruntime on the exported fp32 and fp16 graphs.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
from skimage import data, transform

from answerprint.core.color import ColorProcessor
from answerprint.models.hosts.export import run_graph

LIGHT = {"light_x": 0.3, "light_y": 0.4, "light_stops": 1.5, "key_fill_stops": 0.5, "highlight_rolloff": 0.5}


def pan(width: int, height: int, count: int, step_px: float) -> list[np.ndarray]:
    """``count`` frames of a pan across scikit-image's cat photograph, scene-linear ACEScg."""
    photo = data.chelsea().astype(np.float32) / 255.0
    source = transform.resize(photo, (height * 3 // 2, width * 3 // 2 + int(count * step_px)), order=3,
                              anti_aliasing=True).astype(np.float32)
    to_linear = ColorProcessor("Gamma 2.4 Encoded Rec.709", "ACEScg")
    return [to_linear(np.ascontiguousarray(source[:height, int(round(i * step_px)):][:, :width]))
            for i in range(count)]


def read(path: Path) -> np.ndarray:
    return oiio.ImageBuf(str(path)).get_pixels(oiio.FLOAT)[..., :3]


def answerprint(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "answerprint.core.cli", *args], check=True, stdout=subprocess.DEVNULL)


def params(extra: dict) -> list[str]:
    return [a for k, v in {**LIGHT, **extra}.items() for a in ("--param", f"{k}={v}")]


def stops_flicker(relit: list[np.ndarray], source: list[np.ndarray]) -> float:
    """Mean |frame-to-frame change| of log2(mean relit / mean source), stops."""
    gain = np.log2([r.mean() / s.mean() for r, s in zip(relit, source)])
    return float(np.abs(np.diff(gain)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack")
    parser.add_argument("production")
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--height", type=int, default=216)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--step", type=float, default=6.0, help="pan, pixels per frame")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        frames = pan(args.width, args.height, args.frames, args.step)
        for number, frame in enumerate(frames, 1001):
            oiio.ImageBuf(frame).write(str(root / f"src.{number}.exr"), oiio.FLOAT)
        common = ["--pack", args.pack, "--production", args.production, "--input-space", "ACEScg",
                  "--output-space", "ACEScg"]
        answerprint("apply", "relight", str(root / "src.%04d.exr"), str(root / "r2.%04d.exr"), *common, *params({}))
        answerprint("apply", "relight", str(root / "src.%04d.exr"), str(root / "r0.%04d.exr"), *common,
                    *params({"temporal_radius": 0}))
        answerprint("packs", "export", args.pack, "--for", "onnx", "--out", str(root / "export"), "--production",
                    args.production, *params({}))
        numbers = range(1001, 1001 + args.frames)
        pooled = [read(root / f"r2.{n}.exr") for n in numbers]
        alone = [read(root / f"r0.{n}.exr") for n in numbers]
        print(f"{args.frames} frames {args.width}x{args.height}, pan {args.step} px/frame; light {LIGHT}")
        print(f"flicker (mean |frame-to-frame change of overall gain|, stops): answerprint temporal_radius=2 "
              f"{stops_flicker(pooled, frames):.4f}, temporal_radius=0 {stops_flicker(alone, frames):.4f}")
        for graph in sorted((root / "export").glob("*.onnx")):
            exported = [run_graph(graph.read_bytes(), f) for f in frames]
            versus_pooled = [np.abs(e - p) for e, p in zip(exported, pooled)]
            relative = [float((d / np.maximum(np.abs(p), 1e-3)).mean()) for d, p in zip(versus_pooled, pooled)]
            versus_alone = max(float(np.abs(e - a).max()) for e, a in zip(exported, alone))
            print(f"{graph.name}: vs temporal_radius=2 max {max(float(d.max()) for d in versus_pooled):.4g} "
                  f"mean {np.mean([d.mean() for d in versus_pooled]):.4g} (mean relative {np.mean(relative):.3%}, "
                  f"worst frame {max(relative):.3%}); vs temporal_radius=0 max {versus_alone:.3g} (half EXR); "
                  f"flicker {stops_flicker(exported, frames):.4f} stops")


if __name__ == "__main__":
    main()
