"""The formatter: one canonical layout for SystemTap scripts, safe by construction."""
