import time, tempfile
from pathlib import Path
from playwright.sync_api import sync_playwright
from nexus_panel.benchmarks.ui_server import Server, CHROMIUM, CHROMIUM_ARGS
srv = Server(Path(tempfile.mkdtemp()))
srv.wait_ready()
try:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = b.new_page(viewport={"width":1400,"height":1000})
        pg.goto(srv.url + "/scenarios")
        pg.locator(".nx-show-deleted input").wait_for()
        time.sleep(1)
        print("restore visible?", pg.locator(".nx-restore button").is_visible(), "delete", pg.locator(".nx-delete button").is_visible())
        pg.locator(".nx-show-deleted input").check()
        time.sleep(2)
        print("restore visible?", pg.locator(".nx-restore button").is_visible(), "delete", pg.locator(".nx-delete button").is_visible())
        b.close()
finally:
    srv.stop()
    print(srv.log()[-3000:])
