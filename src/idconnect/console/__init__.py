"""The support console: server-rendered pages under ``/console`` (issue 15).

:func:`idconnect.console.app.console_app` builds it; :func:`idconnect.http.app.create_app`
mounts it. Modules: :mod:`.auth` (session cookie, CSRF), :mod:`.login`, :mod:`.pages`
(rendering), :mod:`.search` (the filter panel), :mod:`.listing`, :mod:`.actions` (quick
actions), :mod:`.labels` (status labels), :mod:`.account` (the account page).
"""
