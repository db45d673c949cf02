"""Department policies: the model (``model``), reading and checking the folder (``loader``,
``explain``, ``cli``), the live hot-reloaded set (``store``), resolution (``resolve``) and
quotas (``quota`` with ``quota_memory`` and ``quota_redis``; status in ``report``).

Imports neither fastapi nor litellm nor the gateway's app, routes or pipeline."""
