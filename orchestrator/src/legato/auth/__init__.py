"""Who may call the API: API keys with scopes, dashboard sessions, and the policy that applies them.

Keys are random 256-bit secrets shown once (`legato keys create`); only their SHA-256 is stored. A
request authenticates with `Authorization: Bearer <key>` or with the dashboard's session cookie
(plus its CSRF token on unsafe methods). `LEGATO_AUTH` decides whether credentials are required:
always when the API listens beyond loopback. Where they are not, what a web page could make a
browser send is refused (legato.auth.browser: foreign Host names, cross-site unsafe requests,
bodies not declared JSON).
"""

from legato.auth.scopes import SCOPES, Principal, allows

__all__ = ["SCOPES", "Principal", "allows"]
