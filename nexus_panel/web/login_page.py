"""The sign-in page's HTML: the app's header colour and type, one small form.

Why plain HTML, not a Panel page: it must work before any Bokeh session exists (Bokeh
opens sessions only for signed-in requests), load nothing from elsewhere (the CSP of
``pages/headers.py``), and stay tiny. Every value put into it (the message, the return
address, the XSRF field) is escaped here.
"""

from __future__ import annotations

from nexus_panel.views import safe

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Nexus · Sign in</title>
<style>
body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       background: #f4f6f8; color: #1d2330; }}
header {{ background: {accent}; color: #fff; padding: 14px 24px; font-size: 22px; }}
main {{ max-width: 360px; margin: 64px auto; background: #fff; border-radius: 6px;
        padding: 24px 28px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 20px; margin: 0 0 16px; }}
label {{ display: block; margin: 12px 0 4px; font-size: 14px; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box;
        padding: 8px; border: 1px solid #b9c0c9; border-radius: 4px; font-size: 15px; }}
button {{ margin-top: 18px; width: 100%; padding: 9px; border: 0; border-radius: 4px;
         background: {accent}; color: #fff; font-size: 15px; cursor: pointer; }}
.nx-login-error {{ background: #fbe9e9; color: #8a1c1c; border: 1px solid #e3b3b3;
                   border-radius: 4px; padding: 8px 10px; font-size: 14px; }}
.nx-login-note {{ color: #5a6270; font-size: 13px; margin-top: 16px; }}
</style></head>
<body><header>Nexus</header>
<main><h1>{title}</h1>{message}{form}</main></body></html>
"""

FORM = """<form method="post" action="./login" class="nx-login-form">{xsrf}
<input type="hidden" name="next" value="{next}">
<label for="nx-username">User name</label>
<input type="text" id="nx-username" name="username" autocomplete="username" required
       autofocus maxlength="200">
<label for="nx-password">Password</label>
<input type="password" id="nx-password" name="password" autocomplete="current-password"
       required maxlength="1024">
<button type="submit" class="nx-login-submit">Sign in</button>
</form>"""


def render(*, xsrf_field: str, next_url: str, message: str = "",
           title: str = "Sign in", form: bool = True, accent: str = "#0b5c8e") -> str:
    """The page; ``xsrf_field`` is Tornado's own ``xsrf_form_html()`` (already escaped),
    everything else is escaped here."""
    shown = (f'<p class="nx-login-error" role="alert">{safe.html_text(message)}</p>'
             if message else "")
    body = FORM.format(xsrf=xsrf_field, next=safe.html_text(next_url)) if form else (
        '<p class="nx-login-note"><a href="./login">Sign in again</a></p>')
    return PAGE.format(accent=accent, title=safe.html_text(title), message=shown, form=body)
