"""The colormatch effect: bring a shot to a reference frame, a chart, or a fitted LUT, in ACEScct.

- ``transfer`` (+ ``register``): shot match through a common view, or MKL statistics with hold-back;
- ``chart``: ColorChecker detection or four corners, root-polynomial / Cheung fit;
- ``effect``: ``EFFECT``, its prepare (reference read and fitted once) and bind (strength).

Everything ends as a 3D LUT (``answerprint.core.color.lut``); the production's learned look is its own effect
(``answerprint.core.effects.look``).
"""
