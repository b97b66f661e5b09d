"""The organisers' digest: its figures (computed by the store), its text, CSV and chart, and /digest."""

__all__ = ["chart", "command", "figures", "render"]
