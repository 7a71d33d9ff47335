"""Pathway's web layer: thin routers over the engine's public API (``app.engine``).

Where things are:

- ``app_state``: ``AppState``, everything the routes read, built once by ``app.main.create_app``,
  and the ``State`` dependency that hands it to a route; ``clock``: today's date, per request.
- ``render``: ``page()``, the one way a page is rendered (whole, or its fragment for htmx).
- ``pages`` (the questionnaire), ``quick_check``, ``training``, ``pathway_page``, ``reference``,
  ``api`` (the JSON API): the routers, each registered by ``create_app``.
- ``walk_store``: where a walk's answers are kept between requests (``WalkStore``; today
  ``CookieWalkStore``, over ``walk_token``'s encrypted cookie).
- ``answer_form``: reading a posted form, its refusals as codes of one message table.
- ``errors``: the web layer's exceptions; ``problems``: the one place that answers them.
- The middlewares (``access_log``, ``body_limit``, ``concurrency``, ``methods``, ``request_limits``,
  ``security``, ``server_errors``), each a pure ASGI ``HttpMiddleware``.
"""
