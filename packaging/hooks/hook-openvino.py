"""openvino loads its CPU plugin and the reader of its own graph format (IR) at run time, from the folder
of libopenvino, so PyInstaller cannot see them by following imports. Only those ship: the bundle's graph
is IR made at build time (build.spec), and it runs on the CPU; the GPU/NPU plugins and the readers of
other formats (ONNX, TensorFlow, PyTorch, ...) would add ~80 MB that nothing uses."""

from PyInstaller.utils.hooks import collect_dynamic_libs

_UNUSED = ("intel_gpu", "intel_npu", "hetero", "auto_batch", "_frontend")

# lib*.so* too: on Linux the readers carry a version suffix (libopenvino_ir_frontend.so.2641).
_LIBRARIES = ["*.dll", "*.dylib", "lib*.so*"]
binaries = [(src, dest) for src, dest in collect_dynamic_libs("openvino", search_patterns=_LIBRARIES)
            if "ir_frontend" in src or not any(part in src for part in _UNUSED)]
