"""Continuity: what drifts between the shots of a scene, flagged beyond the production's own take-to-take variation.

- ``scenes``: shots grouped into scenes and set-ups (names, metadata, markers, a grouping file); pairs to compare.
- ``shot_frames``: each shot read once at proxy size: key frames, where its people move, its noise.
- ``compare``: every measure of one pair (``measures.MEASURES``): ``drift`` (registration, exposure, white
  balance, levels), ``content`` (objects, practical lights), ``focus``, ``grain``, ``wardrobe``; ``people`` and
  ``follow`` keep acting out of it; ``colorimetry`` for CCT, Duv and ΔE00.
- ``thresholds``: the production's calibration (a signed ``continuity`` pack) or generic thresholds.
- ``fix``: the one-click colour fix (a ``.cube`` through colour match's delivery).
- ``check``: ``check_continuity``, what the command, panel and hosts call; ``report``: the HTML pages.
"""
