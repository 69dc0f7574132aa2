"""Training of the cleanup effect: self-supervised denoising learned from a production's own dailies.

``train.train_cleanup`` (dailies → signed pack + report) and ``train.train_cleanup_on_frames`` (frames in
memory → ``TrainedCleanup``) are the entries; see ``train`` for the pipeline and ``network`` for the model.
"""
