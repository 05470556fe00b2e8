"""insource."""
