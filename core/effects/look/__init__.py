"""The look effect: a production's learned grade, fitted from graded pairs and delivered as native LUTs.

- ``pairs``: graded pairs found in two folders, read into ACEScct, misaligned or unusable pairs refused;
- ``fit`` (+ ``prior``): the global look, a curves-and-matrix prior plus a smooth, monotonic lattice;
- ``delivery``: the look as ``.cube`` files from the footage's space to the graded space, and as a CDL;
- ``pack``: what a ``look`` pack carries in its signed manifest;
- ``effect``: ``EFFECT``, applying the pack's LUT (or its adaptive network) to frames.

Training is ``answerprint.models.look``.
"""
