"""Preloaded by the forkserver of a build's process pool, and imported nowhere else: the forkserver
dies with the build client that started it (see :mod:`xxgk.batch.lifeline`).

multiprocessing starts its forkserver with a fresh interpreter and offers no hook but the modules
it preloads (``set_forkserver_preload``); importing this one is that hook. Preloading also makes
every worker start with xxgk's batch modules already imported.
"""

from __future__ import annotations

import signal

from xxgk.batch import lifeline

lifeline.bind_to_owner(signal.SIGKILL)  # nothing to clean up: its workers clean up after themselves
