"""The Slack adapter: slack-bolt's AsyncApp over the services in bot/core.

``app.py`` wires listeners, ``commands.py`` runs ``/studybot``, ``blocks.py``
renders Block Kit, ``platform.py`` is the domain's Platform port on the Web
API, and ``runner.py`` starts it in Socket Mode or over HTTP.
"""
