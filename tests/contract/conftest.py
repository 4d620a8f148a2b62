"""Contract tests: third-party clients written against the real QuickBooks API drive the stand-in."""

from tests.live_server import LiveServer, live_server, live_server_env

__all__ = ["LiveServer", "live_server", "live_server_env"]
