"""The control surface: what a frontend developer or a test uses to steer the mock.

- ``routing``    which documented operation a request names, and the near misses when none
- ``generate``   bodies and headers generated from the spec's response schemas
- ``choose``     Prism-like "choose a response" stage: ``Prefer`` / ``__code`` ... per request
- ``faults``     server-wide latency and error rate, per environment at run time
- ``journal``    the bounded request journal
- ``statefile``  ``--state-file``: load at start; each change in an append-only log before its answer; folded into the snapshot
- ``admin``      the admin API under ``/_mock/`` and its own OpenAPI document
- ``reload``     ``--reload``: restart the server when the spec or the fixtures change
"""

CONTROL_PREFIX = "/_mock/"
