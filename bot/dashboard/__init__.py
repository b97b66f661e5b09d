"""`assembly-bot dashboard`: the read-only web dashboard for facilitators and organisers.

Server-rendered pages (aiohttp and Jinja2, no JavaScript), each computed from the SQL views, in the
viewer's language; nothing shows without a sign-in through a one-time link the bot sends on
/dashboard.
"""
