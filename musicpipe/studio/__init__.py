"""The web studio, `musicpipe serve`: one page and a small JSON API over the library.

``app.build`` is the Starlette app (routes, thin), ``guard`` the safety layer around it
(Host and Origin checks, request size, security headers), ``work`` what it does (render a
mood, run a pipeline, check and save a pack: plain functions, no HTTP), ``store`` where
renders live and the render queue. See docs/studio.md.
"""
