"""`lint-imports` (in `make test`) holds DESIGN.md section 2 only over the root packages it is told.

So every top-level package of the repository must be one of them: a new `adapters/`,
`client/` or `insights/` that is not listed would go unchecked by contracts written for it.
"""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_every_top_level_package_is_a_root_package_of_the_import_contracts() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    # The client is a distribution of its own: its package sits one level down, in client/.
    packages = {path.parent.name for path in [*ROOT.glob("*/__init__.py"), *ROOT.glob("client/*/__init__.py")]}
    assert set(config["root_packages"]) == packages
