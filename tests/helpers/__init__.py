"""Every shared helper of the test suite, imported as ``from tests.helpers.x import y``.

``tests/`` and each of its folders are packages, so pytest puts the repository root on
``sys.path`` and no test edits ``sys.path``. conftest.py files hold only fixtures; anything a
fixture or a test module shares lives here:

- ``paths``: the repository, the shared data folder, the environment of a child Python process;
- ``wait``: the one bounded wait for a real process or server (never to let time pass);
- ``clock``: the injectable clock tests move forward instead of sleeping;
- ``graphs``: a keyword classifier, gold reviewers, review loops, run configs, ready graphs;
- ``service``: the review service in a process or in this process (with a clock), its clients;
- ``servers``: moto's server, and the tracker behind factory fixtures that start servers;
- ``builtin_flows``: A2I's built-in task types (Textract, Rekognition) over the service;
- ``portal``, ``templates``, ``browser_pages``, ``chromium``: the portal and browser tests;
- ``postgres``: a throwaway PostgreSQL server (the ``postgres_server`` fixture starts one);
- ``exports``, ``consumer_runs``, ``consumer_checks``, ``memory``: corrections and ledgers;
- ``aws_responses``: realistic Textract and Rekognition responses; ``docs_blocks``: doc snippets.

This ``__init__`` imports nothing: ``python -m tests.helpers.run_service`` must start fast.
"""
