"""Override of pyinstaller-hooks-contrib's hook-torch: the same collection, minus torch's test suites.

The contrib hook adds *every* torch submodule as a hidden import, which drags in
``torch.testing._internal`` (~700 test helper modules, plus expecttest/hypothesis look-ups). torch
itself imports a few of those at run time (``torch.utils.checkpoint`` imports
``torch.testing._internal.logging_tensor``), and PyInstaller still follows those static imports;
we only stop forcing in the rest.
"""

import os
import runpy

import _pyinstaller_hooks_contrib.stdhooks as _stdhooks

_contrib = runpy.run_path(os.path.join(os.path.dirname(_stdhooks.__file__), "hook-torch.py"))

_HIDDEN_DROP = ("torch.testing._internal.", "torch.utils.tensorboard")

datas = _contrib.get("datas", [])
binaries = _contrib.get("binaries", [])
hiddenimports = [name for name in _contrib.get("hiddenimports", []) if not name.startswith(_HIDDEN_DROP)]
for _name in ("module_collection_mode", "warn_on_missing_hiddenimports", "bindepend_symlink_suppression"):
    if _name in _contrib:
        globals()[_name] = _contrib[_name]
