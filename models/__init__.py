"""answerprint.models — training-side code: torch models, training, and export to signed model packs.

Needs torch, onnx and onnxscript (``pip install 'answerprint[train]'``); a colorist's machine never imports
it. ``export`` turns a trained torch model into a signed, self-contained ``.onnx`` pack (parity-checked,
optional fp16 variant) and loads checkpoints weights-only; ``flame_sidecar`` writes the JSON that lets
Autodesk Flame's Inference node run the same ``.onnx``.
"""
