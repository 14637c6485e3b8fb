"""What every HTTP answer shares: problem+json errors, ETags, limits, metrics, hosts, methods, access log."""
