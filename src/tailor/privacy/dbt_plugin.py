"""dbt-duckdb plugin giving every connection of a build the pseudonymization salt (profiles/profiles.yml:
`plugins: [{module: tailor.privacy.dbt_plugin}]`). Fails closed: a build on a landing folder that is not
a generated sample refuses the public default salt before any model runs."""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from tailor.privacy.salt import landing_path, pii_salt, refusal, set_session_salt


class Plugin(BasePlugin):
    """Sets the salt session variables on the connection and on each cursor dbt opens from it."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.salt = pii_salt()
        problem = refusal(self.salt, landing_path())
        if problem:
            raise RuntimeError(problem)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        set_session_salt(conn, self.salt)

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        set_session_salt(cursor, self.salt)
