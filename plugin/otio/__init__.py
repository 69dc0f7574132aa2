"""Edit decisions through OpenTimelineIO: ``render`` is the ``answerprint.timelines`` entry point (OTIO, OTIOZ,
EDL, FCP 7 XML, FCPX XML); ``timeline_io`` reads and writes them, ``shots`` plans a render per clip,
``conform`` points the clips at the renders."""
