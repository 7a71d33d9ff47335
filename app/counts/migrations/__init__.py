"""The counts database's Alembic migrations (env.py; one file per revision in versions/), run by
``CountStore.migrate``. A new revision: copy the newest file in versions/, give it the next number as
``revision`` and the previous one as ``down_revision``, and set ``store.HEAD`` to it."""
