"""Cleanup building blocks that need no torch: motion compensation, noise model, defect and dust repair."""
