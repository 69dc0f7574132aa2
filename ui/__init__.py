"""The PySide6 panel: parameters with a live before/after, the model library and the render queue.

``answerprint panel`` (``cli``) calls ``app.run_panel``. The window (``main_window``) puts together the
effect panel (``effect_panel``, editors built from each effect's ``ParamSchema`` in ``param_widgets``), the
viewer (``viewer``, ``viewer_panel``; previews computed by ``core.render.preview`` on ``preview_worker``'s
thread), the model library (``library_view``) and the render queue (``render_queue``, ``queue_view``).
Hosts are reached only through the ``answerprint.hosts`` entry points (``hosts``). Nothing in ``core`` imports
this package.
"""
