"""DaVinci Resolve adapter: answerprint's effects from Resolve's Scripts menu, rendered back as takes.

A Python script cannot add a real-time effect to Resolve (that takes OFX in C++, Fuses or DCTL). So the
effects render in place — each selected clip's source range through the core, imported into the media pool
and added as a new selected take — and color match goes in as a native LUT (and CDL) on the clip's grade.

Modules: ``connect`` (find Resolve's scripting module, connect, explain failures), ``timeline`` (which
items, which source frames, what cannot be rendered), ``takes`` (render → import → take), ``records`` (the
take's provenance in metadata and markers), ``lut`` (the LUT route), ``train`` (a bin's clips as dailies),
``settings`` (``resolve.json``), ``cli`` (the actions the menu scripts launch). The menu scripts themselves
live in ``menu/``: stdlib-only files for Resolve's own Python, copied into Fusion/Scripts by the installers.
"""
