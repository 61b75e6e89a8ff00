"""PyInstaller runtime hook: runs inside the frozen app before ``launcher.py``.

- offline by default: the embedding model is inside the bundle and nothing may phone home;
- TLS: point Python's ssl (and anything that honours SSL_CERT_FILE) at the bundled certifi CA bundle,
  since a bundled OpenSSL cannot rely on the build machine's certificate folder;
- git: Pharos runs ``git`` as a subprocess. Use a bundled git if the build put one in ``git/``
  (PHAROS_BUNDLE_GIT, meant for PortableGit on Windows); and on Linux give child processes the
  library path they had before the bootloader pointed it into the bundle, so the system git never
  loads the bundle's libssl/libz/libcurl.
Anything the user already set in the environment wins.
"""

import os
import sys

_env = os.environ
_env.setdefault("HF_HUB_OFFLINE", "1")
_env.setdefault("TRANSFORMERS_OFFLINE", "1")
_env.setdefault("HF_DATASETS_OFFLINE", "1")
_env.setdefault("ANONYMIZED_TELEMETRY", "False")
_env.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
_env.setdefault("DO_NOT_TRACK", "1")
_env.setdefault("TOKENIZERS_PARALLELISM", "false")

_root = getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(sys.executable)))

if "SSL_CERT_FILE" not in _env:
    try:
        import certifi

        _ca = certifi.where()
    except Exception:  # certifi missing from the bundle: fall back to the system's store
        _ca = os.path.join(_root, "certifi", "cacert.pem")
    if os.path.isfile(_ca):
        _env["SSL_CERT_FILE"] = _ca
        # git's libcurl ignores SSL_CERT_FILE; the system git keeps its own CA store, a bundled one needs this:
        if os.path.isdir(os.path.join(_root, "git")):
            _env.setdefault("GIT_SSL_CAINFO", _ca)
    # requests (pulled in by huggingface_hub) reads its own variable
    if "SSL_CERT_FILE" in _env:
        _env.setdefault("REQUESTS_CA_BUNDLE", _env["SSL_CERT_FILE"])

# A git bundled next to the app (PortableGit / MinGit layout: cmd/git.exe, or bin/git) comes first on PATH.
for _sub in ("cmd", "bin", os.path.join("mingw64", "bin")):
    _dir = os.path.join(_root, "git", _sub)
    if os.path.isdir(_dir):
        _env["PATH"] = _dir + os.pathsep + _env.get("PATH", "")
        break

# Child processes (git, ssh, a browser) must not inherit the bundle's library path.
if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
    if "LD_LIBRARY_PATH_ORIG" in _env:
        _env["LD_LIBRARY_PATH"] = _env.pop("LD_LIBRARY_PATH_ORIG")
    elif _env.get("LD_LIBRARY_PATH", "").split(os.pathsep)[0] in (_root, os.path.dirname(sys.executable)):
        _env.pop("LD_LIBRARY_PATH", None)
