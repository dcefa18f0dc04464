"""Installs the top-level folder `backends/` as the subpackage `multinn.backends`.

pyproject.toml holds the metadata; this file only computes the package list,
because setuptools' declarative `find` cannot rename a folder into a subpackage.
"""
from setuptools import find_packages, setup

packages = find_packages(include=["multinn", "multinn.*"])
backend_packages = ["multinn." + name for name in find_packages(include=["backends", "backends.*"])]

setup(
    packages=packages + backend_packages,
    package_dir={"multinn": "multinn", "multinn.backends": "backends"},
    package_data={"multinn": ["datasets/data/*"]},
)
