"""Calibrating continuity checks on a production's own takes.

``train_continuity`` (``answerprint train continuity``) measures the normal take-to-take variation of every
continuity measure on pairs of takes of one set-up in the dailies (``core.continuity.calibration``), turns it
into thresholds (``core.continuity.thresholds.calibrate``) and exports them as a signed ``continuity`` pack
(``pack``) with an HTML report (``report``); the demo step is ``demo``. The check that reads the pack is
``answerprint continuity`` (``answerprint.core.continuity``).
"""
