"""Compare (placeholder)."""
