"""The soak tests use the end-to-end fixtures (tests/e2e/conftest.py): one dev-stack
PostgreSQL per session, per test a database, a mock broker and the daemons it starts."""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(os.path.dirname(HERE), "e2e")
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pylib"))
sys.path.insert(0, E2E)

_spec = importlib.util.spec_from_file_location("ossd_e2e_conftest",
                                               os.path.join(E2E, "conftest.py"))
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)

stack = _e2e.stack
env = _e2e.env
pytest_runtest_makereport = _e2e.pytest_runtest_makereport
