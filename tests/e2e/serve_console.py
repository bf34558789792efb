#!/usr/bin/python3
"""serve_console.py WARD WORK -- ward's console in a real headless
chromium (Debian's /usr/bin/chromium) driven by puppeteer-core, which this
test installs from the npm registry into WORK (tests/e2e/console/
package.json; PUPPETEER_SKIP_DOWNLOAD: no browser is fetched): sign in,
open an incident, judge its reply with a note and see the note there, see
it counted in the accountability view, and as an admin change a party's
address (tests/e2e/console/console_test.mjs); the judgement with its note
and the party's change are then read back from /api/audit. Screenshots
stay in WORK/screenshots.
Exit 77 (skipped) without node/npm or chromium, or when the npm registry
cannot be reached."""
import os, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Server, add_sensors, add_token, make_store, request  # noqa: E402

ward, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not (shutil.which("node") and shutil.which("npm") and os.path.exists(chromium)):
    print("skipped: needs node, npm and chromium")
    sys.exit(77)
os.makedirs(work, exist_ok=True)
npm_dir = f"{work}/npm"
os.makedirs(npm_dir, exist_ok=True)
shutil.copy(f"{here}/console/package.json", f"{npm_dir}/package.json")
shutil.copy(f"{here}/console/console_test.mjs", f"{npm_dir}/console_test.mjs")
env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1", PUPPETEER_SKIP_CHROMIUM_DOWNLOAD="1")
if not os.path.isdir(f"{npm_dir}/node_modules/puppeteer-core"):
    try:
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=npm_dir, env=env, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        p = None
    if p is None or p.returncode != 0:
        print("skipped: npm could not install puppeteer-core:",
              p.stderr[-500:] if p else "timed out")
        sys.exit(77)

data = f"{work}/data"
shutil.rmtree(data, ignore_errors=True)
os.makedirs(data)
shots = f"{work}/screenshots"
os.makedirs(shots, exist_ok=True)
cfg, db, _ = make_store(ward, data)
add_sensors(db)
token = add_token(ward, cfg, db, "browser", "analyst")
admin = add_token(ward, cfg, db, "browser-admin", "admin")
NOTE = "Host reimaged; <b>confirmed</b> by phone"
srv = Server(ward, cfg, db)
p = subprocess.run(["node", f"{npm_dir}/console_test.mjs", srv.url, token, shots, admin, NOTE],
                   cwd=npm_dir, env=dict(env, CHROMIUM=chromium), capture_output=True,
                   text=True, timeout=240)
_, _, audit = request(srv.url + "/api/audit?limit=100", token=admin)
code, log = srv.stop()
sys.stdout.write(p.stdout)
sys.stderr.write(p.stderr)
if p.returncode != 0:
    sys.exit(f"console test failed (screenshots in {shots})")
if code != 0:
    sys.exit(f"ward serve exit {code}:\n{log}")
rows = audit.get("audit", []) if isinstance(audit, dict) else []
if not any(a["who"] == "browser" and a["action"] == "judgement"
           and a["target"] == "WARD-2026-000003" and a["after"] == {"judgement": "substantive", "note": NOTE}
           for a in rows):
    sys.exit(f"the judgement's note is not in the audit: {rows}")
if not any(a["who"] == "browser-admin" and a["action"] == "party-update"
           and a["target"] == "CERT-Bund" and a["before"] == {"email": "cert@bund.example"}
           and a["after"] == {"email": "incident@bund.example"} for a in rows):
    sys.exit(f"the party's change is not in the audit: {rows}")
if token in log:
    sys.exit("the token appears in the server's log")
print(f"screenshots in {shots}")
