"""The web app of `loadguard serve`: server-rendered pages for runners (and, next, their
coaches), accounts, and the webhook endpoints, on FastAPI and uvicorn.

:mod:`~loadguard.web.context` holds what every route shares, including the one access
check; routes call :mod:`loadguard.app` and never the store's SQL or the guard's rules.
May import the app layer and everything below it; never the CLI.
"""
