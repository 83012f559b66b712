"""The app's routes, one router per room of the page: the page itself, songs, sessions,
and the two sockets (:mod:`onebeat.web.sockets`)."""
