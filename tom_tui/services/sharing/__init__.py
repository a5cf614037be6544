"""Sharing targets and data with other systems (a colleague's TOM Toolkit) and pulling them in."""
