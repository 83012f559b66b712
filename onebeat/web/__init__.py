"""The play-along web app: ``onebeat play`` (see :mod:`onebeat.web.app`): routes, sockets
and the page; what a take or a lesson does is :mod:`onebeat.play`'s."""

from onebeat.web.app import AppConfig, create_app, lan_address

__all__ = ["AppConfig", "create_app", "lan_address"]
