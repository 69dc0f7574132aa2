"""Training the relight effect's intrinsic model (reflectance × shading) from a production's own dailies.

``train_relight`` (``answerprint train relight``) reads the dailies, learns the decomposition self-supervised
(``losses``), and exports a signed pack (``pack``) with an HTML report (``report``); the demo step is
``demo``. The effect that applies the pack is ``answerprint.core.effects.relight``.
"""
