"""A duet over the internet: ``onebeat relay`` holds rooms of remote players, puts their
clocks on one, starts their take at one moment and passes each player's hits (in song
time) to the others. Each player hears the song and is judged on their own machine."""

from onebeat.relay.app import create_relay
from onebeat.relay.hub import Hub, RelayConfig

__all__ = ["Hub", "RelayConfig", "create_relay"]
