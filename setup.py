"""Package discovery, the one thing pyproject.toml cannot say: the top-level folders core/, models/, plugin/
and ui/ are installed as ``answerprint.core``, ``answerprint.models``, ... (the layout the design card fixes).

Every folder below them is found, not listed (namespace discovery: a folder of data such as core/demo/media
is a package too, and its files are declared in pyproject.toml's package-data); __pycache__ is left out.
Everything else about the package is in pyproject.toml.
"""
from setuptools import find_namespace_packages, setup

TOP_LEVEL = ("core", "models", "plugin", "ui")


def discovered(top: str) -> list[str]:
    """``answerprint.<top>`` and every folder below ``top``, as package names."""
    below = find_namespace_packages(top, exclude=["__pycache__", "*.__pycache__"])
    return [f"answerprint.{top}"] + [f"answerprint.{top}.{name}" for name in below]


setup(packages=[name for top in TOP_LEVEL for name in discovered(top)],
      package_dir={f"answerprint.{top}": top for top in TOP_LEVEL})
