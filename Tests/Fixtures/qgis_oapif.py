"""Loads collections of a Wangge server into QGIS (Debian's python3-qgis, offscreen) over
OGC API - Features, with the token as the password of a Basic authentication configuration,
as a QGIS user sets it up in Settings > Authentication. Prints one JSON line per collection:
{"collection": ..., "valid": bool, "features": n, "first_id": ...}.

usage: python3 qgis_oapif.py BASE_URL PASSWORD COLLECTION...
"""
import json
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A fresh authentication database, not the user's.
os.environ["QGIS_AUTH_DB_DIR_PATH"] = tempfile.mkdtemp(prefix="qgis-auth-")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="qgis-run-"))

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer  # noqa: E402

base, password, collections = sys.argv[1], sys.argv[2], sys.argv[3:]
app = QgsApplication([], False)
app.initQgis()
auth = QgsApplication.authManager()
auth.setMasterPassword("master-for-this-test", True)
config = QgsAuthMethodConfig("Basic")
config.setName("wangge")
config.setConfig("username", "qgis")
config.setConfig("password", password)
ok = auth.storeAuthenticationConfig(config)
if isinstance(ok, tuple):
    ok = ok[0]
assert ok and config.id(), "could not store the authentication configuration"

for name in collections:
    uri = f"url='{base}' typename='{name}' authcfg='{config.id()}'"
    layer = QgsVectorLayer(uri, name, "OAPIF")
    n, first = 0, None
    if layer.isValid():
        for f in layer.getFeatures():
            if first is None:
                first = f.attribute("id") if "id" in layer.fields().names() else f.id()
            n += 1
    print(json.dumps({"collection": name, "valid": layer.isValid(), "features": n,
                      "first_id": None if first is None else str(first)}), flush=True)
# Not app.exitQgis(): QGIS 3.22 may crash while tearing down offscreen (SIGSEGV after the work).
sys.stdout.flush()
os._exit(0)
