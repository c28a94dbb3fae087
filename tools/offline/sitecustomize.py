# Put on PYTHONPATH by the Makefile for builds and tests: every Python process (pytest, the
# book build, each notebook kernel) then refuses non-local network connections.
import os

if os.environ.get("TRUSTLAB_OFFLINE") == "1":
    try:
        from trustlab.offline import install
    except ImportError:  # trustlab not installed in this interpreter: nothing to guard
        pass
    else:
        install()
