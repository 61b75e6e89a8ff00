"""The embedding model: ``Embedder`` loads it offline and picks the device and the runtime (torch, or an
int8 graph on onnxruntime or OpenVINO)."""
