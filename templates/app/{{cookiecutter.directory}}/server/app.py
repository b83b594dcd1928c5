"""The app as an ASGI application: `lbpy start` serves it, and so does any ASGI server
(`uvicorn server.app:app`, `gunicorn -k uvicorn.workers.UvicornWorker server.app:app`,
`granian --interface asgi server.app:app`)."""

from pathlib import Path

from lbpy import create_app

app = create_app(Path(__file__).resolve().parent.parent)
