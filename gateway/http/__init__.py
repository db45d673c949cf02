"""The HTTP composition root: the app factory (``create_app``) and the route modules."""
