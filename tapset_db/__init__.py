"""The tapset database shipped with stapkit (SystemTap 4.8, Debian); see README.md."""
