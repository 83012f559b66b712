"""Model players, learners and kit sounds: what the tests, the benches and the shipped kit
profile are measured and made with (:mod:`~onebeat.simulate.players`,
:mod:`~onebeat.simulate.learners`, :mod:`~onebeat.simulate.kitsound`)."""
