"""The relight step of ``answerprint demo``: train a quick pack on the sample dailies, light a shot with it.

The pack learns reflectance × shading from all three sample dailies (frames within each shot, aligned), is
signed with the demo production's key, and is applied through the render engine to A001C001 (the coffee
cup) with a warm soft key placed on the cup, a little shadow lift and a gentle highlight roll-off. The
report shows the training metrics and the shot before and after.
"""
from __future__ import annotations

from pathlib import Path

from answerprint.core.demo.steps import DemoContext
from answerprint.core.frames import probe
from answerprint.core.render import RenderJob, render

from .train import train_relight

#: Wall-clock training budget of the demo (seconds).
DEMO_TRAINING_SECONDS = 60.0
#: The light the demo places on the shot.
DEMO_LIGHT = {"light_type": "area", "light_x": "0.45", "light_y": "0.45", "light_radius": "0.3",
              "light_stops": "1.2", "light_kelvin": "4300", "shadow_lift": "0.1", "highlight_rolloff": "0.3"}
#: The clip the demo relights.
DEMO_TARGET = "A001C001"


def run_demo_step(context: DemoContext) -> None:
    """Train, apply and show as the module docstring says; adds one section, two tables and a before/after
    comparison (wipe and 1:1 crops)."""
    training = [str(p) for p in context.dailies]
    target = next((str(p) for p in context.dailies if Path(p).stem == DEMO_TARGET), training[0])
    result = train_relight(training, context.production, "quick", name="relight", input_space=context.camera_space,
                           seconds=DEMO_TRAINING_SECONDS, private_key=context.signing_key,
                           progress=context.progress, cancel=context.cancel)
    output = str(context.out / "renders" / f"{Path(target).stem}_relight.mov")
    job = RenderJob(target, output, "relight", dict(DEMO_LIGHT), pack=str(result.pack_path),
                    production=context.production.id, input_space=context.camera_space, overwrite=True)
    render(job, context.progress, context.cancel)
    report = context.report
    report.section("Relight learned from the dailies",
                   f"A quick pack trained for at most {DEMO_TRAINING_SECONDS:.0f} s on the reflectance and shading "
                   f"of {', '.join(Path(p).name for p in training)}, signed for production {context.production.id}, "
                   f"applied to {Path(target).name}: a warm soft light on the cup, shadow lift and "
                   f"highlight roll-off, acting on the shading only. Training report: {result.report_path}.")
    metrics = result.metrics
    report.table(["held-out measure (stops)", "model", "nothing explained"],
                 [("reflectance difference between views", f"{metrics['reflectance_consistency_stops']:.3f}",
                   f"{metrics['input_difference_stops']:.3f}"),
                  ("error of a recovered light change", f"{metrics['light_recovery_error_stops']:.3f}",
                   f"{metrics['light_change_stops']:.3f}")])
    report.table(["parameter", "value"], sorted(DEMO_LIGHT.items()))
    report.comparison(target, output, probe(output).first_frame, context.camera_space,
                      f"{Path(target).name}: before / after relight (warm soft key on the cup, lift, roll-off)")
