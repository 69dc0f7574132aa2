"""Packs as files other hosts run: Flame, Nuke, Houdini, onnxruntime (``answerprint packs export``)."""
