"""The learned production look: global LUT and image-adaptive model training, ONNX export, ``train look``."""
