"""Contract tests: third-party clients written against the real QuickBooks API drive the stand-in."""

from tests.live_server import LiveServer, live_server

__all__ = ["LiveServer", "live_server"]
