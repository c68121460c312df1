"""Installs the repository's folders under the one import name ``vqinspect``.

The folders stay at the repository root (``app/``, ``metrics/``, ``widgets/``, ``resources/``);
installed they are ``vqinspect.app`` and so on, beside the entry point ``vqinspect.__main__``.
Packages are discovered, so a new subpackage cannot be left out of the wheel.
"""
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOTS = ("app", "metrics", "widgets", "resources")


class BuildPy(build_py):
    """The root folder is the ``vqinspect`` package: of its own modules only ``__main__``."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if package != "vqinspect" or m[1] == "__main__"]


packages = find_packages(include=[*ROOTS, *(f"{r}.*" for r in ROOTS)])
setup(packages=["vqinspect", *(f"vqinspect.{p}" for p in packages)], package_dir={"vqinspect": "."},
      cmdclass={"build_py": BuildPy})
