"""The kiosk: what a resident sees at the village service point.."""
