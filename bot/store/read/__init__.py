"""The read side: aggregated figures for the digest, the dashboard and exports, from views and GROUP BY."""
