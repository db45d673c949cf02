"""Identity: who is calling. OIDC sign-in, browser sessions and their CSRF guard, API keys and
their in-process cache, and the tables behind them. No HTTP routes live here."""
