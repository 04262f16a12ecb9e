"""The HTTP service: SCIM 2.0 over every store, the admin API, health checks.

Build the ASGI application with :func:`idconnect.http.app.create_app`; ``idconnect serve``
runs it under uvicorn.
"""
