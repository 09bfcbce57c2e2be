"""Security detectors and the taint pass: a positive and a negative snippet per detector, taint
propagation and confidence, configuration, and a run over real code (the standard library)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from security_helpers import SECURITY_IDS, instantiate, make_context, scan, traverse

from analysis.engine.context import DetectorSettings
from analysis.engine.detectors.security_config import shannon_entropy
from analysis.engine.model import Category, Severity
from analysis.engine.registry import all_detectors

POSITIVE = [
    # sql-injection
    ("sql-injection", "def f(cursor, uid):\n    cursor.execute(f'SELECT * FROM t WHERE id = {uid}')"),
    ("sql-injection", "def f(cursor, uid):\n    cursor.execute('SELECT * FROM t WHERE id = %s' % uid)"),
    ("sql-injection", "def f(cursor, uid):\n    cursor.executemany('DELETE FROM t WHERE id = ' + uid, [])"),
    ("sql-injection", "def f(cursor, uid):\n    q = 'SELECT * FROM t WHERE id = {}'.format(uid)\n    cursor.execute(q)"),
    ("sql-injection", "def f(name):\n    return User.objects.raw(f'SELECT * FROM auth_user WHERE name = {name}')"),
    ("sql-injection", "def f(qs, v):\n    return qs.extra(where=['name = %s' % v])"),
    ("sql-injection", "def f(qs, v):\n    return qs.extra(select={'x': 'upper(%s)' % v})"),
    ("sql-injection", "def f(qs, v):\n    return qs.extra(select=dict(x=f'upper({v})'))"),
    ("sql-injection", "def f(qs, v):\n    where = ['a = ' + v]\n    return qs.extra(where=where)"),
    ("sql-injection", "from django.db.models.expressions import RawSQL\ndef f(v):\n    return RawSQL('SELECT %s' % v, ())"),
    ("sql-injection", "from sqlalchemy import text\ndef f(session, v):\n    session.execute(text(f'SELECT {v}'))"),
    # command-injection
    ("command-injection", "import subprocess\ndef f(name):\n    subprocess.run('ls ' + name, shell=True)"),
    ("command-injection", "import subprocess as sp\ndef f(cmd):\n    sp.Popen(cmd, shell=True)"),
    ("command-injection", "import os\ndef f(path):\n    os.system(f'rm {path}')"),
    ("command-injection", "from os import popen\ndef f(c):\n    popen(c)"),
    # code-injection
    ("code-injection", "def f(expr):\n    return eval(expr)"),
    ("code-injection", "def f(src):\n    exec(src, {})"),
    ("code-injection", "def f(src):\n    return compile(src, '<x>', 'exec')"),
    # unsafe-deserialization
    ("unsafe-deserialization", "import pickle\ndef f(b):\n    return pickle.loads(b)"),
    ("unsafe-deserialization", "import cPickle\ndef f(fh):\n    return cPickle.load(fh)"),
    ("unsafe-deserialization", "import dill\ndef f(b):\n    return dill.loads(b)"),
    ("unsafe-deserialization", "import marshal\ndef f(b):\n    return marshal.loads(b)"),
    ("unsafe-deserialization", "import shelve\ndb = shelve.open('x')"),
    ("unsafe-deserialization", "import yaml\ndef f(s):\n    return yaml.load(s)"),
    ("unsafe-deserialization", "import yaml\ndef f(s):\n    return yaml.load(s, Loader=yaml.Loader)"),
    ("unsafe-deserialization", "import yaml\ndef f(s):\n    return yaml.unsafe_load(s)"),
    ("unsafe-deserialization", "import torch\nmodel = torch.load('m.pt')"),
    ("unsafe-deserialization", "import jsonpickle\ndef f(s):\n    return jsonpickle.decode(s)"),
    ("unsafe-deserialization", "from pickle import loads as lp\nobj = lp(blob)"),
    # hardcoded-secret
    ("hardcoded-secret", "AWS_ID = 'AKIAQ3EGT5KZQ7NXW2MB'"),
    ("hardcoded-secret", "TOKEN = 'ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + "'"),
    ("hardcoded-secret", "client = Stripe('sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "')"),
    ("hardcoded-secret", "SLACK = 'xoxb-" + "123456789012-abcdefghijkl" + "'"),
    ("hardcoded-secret", "KEY = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n'''"),
    ("hardcoded-secret", "db_password = 'Xk9#mP2$vLq8wZ'"),
    ("hardcoded-secret", "connect(host='db', password='Xk9#mP2$vLq8wZ')"),
    ("hardcoded-secret", "CONFIG = {'api_key': 'a8f3Kd92Lm0Qz7Xc'}"),
    ("hardcoded-secret", "def login(user, password='Xk9#mP2$vLq8wZ'):\n    pass"),
    ("hardcoded-secret", "def check(password):\n    return password == 'Xk9#mP2$vLq8wZ'"),
    # weak-crypto
    ("weak-crypto", "import hashlib\ndef f(p):\n    return hashlib.md5(p).hexdigest()"),
    ("weak-crypto", "import hashlib\nh = hashlib.sha1()"),
    ("weak-crypto", "import hashlib\nh = hashlib.new('MD5')"),
    ("weak-crypto", "from Crypto.Cipher import DES\nc = DES.new(key, DES.MODE_CBC)"),
    ("weak-crypto", "from Crypto.Cipher import AES\nc = AES.new(key, AES.MODE_ECB)"),
    ("weak-crypto", "from cryptography.hazmat.primitives.ciphers import modes\nm = modes.ECB()"),
    ("weak-crypto", "from cryptography.hazmat.primitives.ciphers import algorithms\na = algorithms.ARC4(key)"),
    ("weak-crypto", "import hashlib\nh = hashlib.new(name='sha1', data=b'x')"),
    ("weak-crypto", "from hashlib import md5 as digest\nh = digest(b'x')"),
    ("weak-crypto", "import crypt\nh = crypt.crypt(pw, salt=crypt.METHOD_MD5)"),
    ("weak-crypto", "import crypt\ns = crypt.mksalt(crypt.METHOD_CRYPT)"),
    # insecure-tls
    ("insecure-tls", "import requests\nr = requests.get(URL, verify=False)"),
    ("insecure-tls", "import httpx\nc = httpx.Client(verify=False)"),
    ("insecure-tls", "def f(session):\n    session.post(URL, verify=False)"),
    ("insecure-tls", "import ssl\nctx = ssl._create_unverified_context()"),
    ("insecure-tls", "import ssl\nssl._create_default_https_context = ssl._create_unverified_context"),
    ("insecure-tls", "import ssl\ndef f(ctx):\n    ctx.verify_mode = ssl.CERT_NONE"),
    ("insecure-tls", "def f(ctx):\n    ctx.check_hostname = False"),
    ("insecure-tls", "import ssl\ns = ssl.wrap_socket(sock, cert_reqs=ssl.CERT_NONE)"),
    # insecure-random
    ("insecure-random", "import random\ntoken = ''.join(random.choice(ALPHABET) for _ in range(32))"),
    ("insecure-random", "import random\ndef make_password():\n    return ''.join(random.sample(CHARS, 12))"),
    ("insecure-random", "from random import randint\ndef f():\n    otp = randint(100000, 999999)\n    return otp"),
    ("insecure-random", "import random\nsend(nonce=random.getrandbits(64))"),
    # debug-enabled (settings module / app.run)
    ("debug-enabled", "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)"),
    # insecure-tempfile
    ("insecure-tempfile", "import tempfile\nname = tempfile.mktemp()"),
    ("insecure-tempfile", "from tempfile import mktemp\nname = mktemp(suffix='.txt')"),
    # xxe
    ("xxe", "import xml.etree.ElementTree as ET\ndef f(data):\n    return ET.fromstring(data)"),
    ("xxe", "from xml.dom import minidom\ndef f(path):\n    return minidom.parse(path)"),
    ("xxe", "import xml.sax\ndef f(stream, handler):\n    xml.sax.parse(stream, handler)"),
    ("xxe", "from lxml import etree\ndef f(data):\n    return etree.fromstring(data)"),
    # jwt-verification-disabled
    ("jwt-verification-disabled", "import jwt\ndef f(t):\n    return jwt.decode(t, verify=False)"),
    ("jwt-verification-disabled", "import jwt\ndef f(t):\n    return jwt.decode(t, options={'verify_signature': False})"),
    ("jwt-verification-disabled", "import jwt\ndef f(t, k):\n    return jwt.decode(t, k, algorithms=['HS256', 'none'])"),
    # bind-all-interfaces
    ("bind-all-interfaces", "import socket\ns = socket.socket()\ns.bind(('0.0.0.0', 8080))"),
    ("bind-all-interfaces", "app.run(host='0.0.0.0', port=80)"),
    ("bind-all-interfaces", "import uvicorn\nuvicorn.run(app, host='0.0.0.0')"),
    ("bind-all-interfaces", "HOST = '0.0.0.0'"),
    # csrf-exempt
    ("csrf-exempt", "from django.views.decorators.csrf import csrf_exempt\n@csrf_exempt\ndef hook(request):\n    pass"),
    (
        "csrf-exempt",
        "from django.utils.decorators import method_decorator\nfrom django.views.decorators.csrf import csrf_exempt\n@method_decorator(csrf_exempt, name='dispatch')\nclass V(View):\n    pass",
    ),
    ("csrf-exempt", "from django.views.decorators.csrf import csrf_exempt\nurlpatterns = [path('hook/', csrf_exempt(hook))]"),
    ("csrf-exempt", "from flask_wtf.csrf import CSRFProtect\ncsrf = CSRFProtect(app)\n@csrf.exempt\ndef api():\n    pass"),
    ("csrf-exempt", "WTF_CSRF_ENABLED = False"),
    # hardcoded-secret-key (Flask forms, anywhere)
    ("hardcoded-secret-key", "app.secret_key = 'dev-key-123'"),
    ("hardcoded-secret-key", "app.config['SECRET_KEY'] = 'dev-key-123'"),
    ("hardcoded-secret-key", "app.config.update(SECRET_KEY='dev-key-123')"),
]

NEGATIVE = [
    ("sql-injection", "def f(cursor, uid):\n    cursor.execute('SELECT * FROM t WHERE id = %s', [uid])"),
    ("sql-injection", "def f(cursor, sql):\n    cursor.execute(sql)"),
    ("sql-injection", "def f(cursor, n):\n    cursor.execute('SELECT * FROM t LIMIT %d' % int(n))"),
    ("sql-injection", "def f(cursor, ops, t):\n    cursor.execute('DROP TABLE %s' % ops.quote_name(t))"),
    ("sql-injection", "def f(cursor):\n    q = 'SELECT 1'\n    cursor.execute(q + ' FROM dual')"),
    ("sql-injection", "def f(name):\n    return User.objects.raw('SELECT * FROM auth_user WHERE name = %s', [name])"),
    ("sql-injection", "def f(qs, v):\n    return qs.extra(where=['name = %s'], params=[v])"),
    ("sql-injection", "from myapp.ui import text\ndef f(v):\n    return text(f'Hello {v}')"),
    ("command-injection", "import subprocess\ndef f(name):\n    subprocess.run(['ls', name])"),
    ("command-injection", "import subprocess\nsubprocess.run('ls -l', shell=True)"),
    ("command-injection", "import subprocess\ndef f(c):\n    subprocess.run(c, shell=False)"),
    ("command-injection", "import os\nCMD = 'uptime'\nos.system(CMD)"),
    ("command-injection", "import shlex, os\ndef f(p):\n    os.system('cat ' + shlex.quote(p))"),
    ("code-injection", "eval('1 + 2')"),
    ("code-injection", "import ast\ndef f(s):\n    return ast.literal_eval(s)"),
    ("code-injection", "def f(model):\n    return model.eval()"),
    ("unsafe-deserialization", "import json\ndef f(s):\n    return json.loads(s)"),
    ("unsafe-deserialization", "import yaml\ndef f(s):\n    return yaml.safe_load(s)"),
    ("unsafe-deserialization", "import yaml\ndef f(s):\n    return yaml.load(s, Loader=yaml.SafeLoader)"),
    ("unsafe-deserialization", "from yaml import load, CSafeLoader\ndef f(s):\n    return load(s, CSafeLoader)"),
    ("unsafe-deserialization", "import torch\nmodel = torch.load('m.pt', weights_only=True)"),
    ("unsafe-deserialization", "def f(fh):\n    return fh.load()"),
    ("hardcoded-secret", "AWS_ID = 'AKIAIOSFODNN7EXAMPLE'"),
    ("hardcoded-secret", "password = 'changeme'"),
    ("hardcoded-secret", "password = 'your_password_here'"),
    ("hardcoded-secret", "password = ''"),
    ("hardcoded-secret", "import os\npassword = os.environ['DB_PASSWORD']"),
    ("hardcoded-secret", "password_field = 'Xk9#mP2$vLq8wZ'"),
    ("hardcoded-secret", "TOKEN_HEADER = 'X-Auth-Token'"),
    ("hardcoded-secret", "password = 'aaaaaaaaaaaa'"),
    ("hardcoded-secret", "token_type = 'bearer'"),
    ("hardcoded-secret", "error = {'password': 'This password is too short.'}"),
    ("hardcoded-secret", "NAMES = {CHALLENGE_PASSWORD: 'challengePassword'}"),
    ("hardcoded-secret", "secret = '${SECRET_FROM_ENV}'"),
    ("weak-crypto", "import hashlib\nh = hashlib.sha256(b'x')"),
    ("weak-crypto", "import hashlib\nh = hashlib.md5(b'x', usedforsecurity=False)"),
    ("weak-crypto", "import hashlib\nh = hashlib.new('sha256')"),
    ("weak-crypto", "from Crypto.Cipher import AES\nc = AES.new(key, AES.MODE_GCM)"),
    ("weak-crypto", "def md5(x):\n    return x\nmd5(1)"),
    ("weak-crypto", "import crypt\nh = crypt.crypt(pw, salt=crypt.METHOD_SHA512)"),
    ("insecure-tls", "import requests\nr = requests.get(URL, verify=True)"),
    ("insecure-tls", "import requests\nr = requests.get(URL, verify='/etc/ca.pem')"),
    ("insecure-tls", "import ssl\nctx = ssl.create_default_context()"),
    ("insecure-tls", "def f(form):\n    form.validate(verify=False)"),
    ("insecure-random", "import random\nitems = random.sample(population, 3)"),
    ("insecure-random", "import secrets\ntoken = secrets.token_urlsafe(32)"),
    ("insecure-random", "import random\ndef shuffle_deck(deck):\n    random.shuffle(deck)"),
    ("insecure-random", "import random\nrng = random.SystemRandom()\ntoken = rng.choice('abc')"),
    ("debug-enabled", "app.run(debug=False)"),
    ("debug-enabled", "import os\napp.run(debug=os.environ.get('DEBUG') == '1')"),
    ("debug-enabled", "DEBUG = True"),  # not a settings module
    ("insecure-tempfile", "import tempfile\nfd, name = tempfile.mkstemp()"),
    ("insecure-tempfile", "import tempfile\nf = tempfile.NamedTemporaryFile()"),
    ("xxe", "import defusedxml.ElementTree as ET\ndef f(data):\n    return ET.fromstring(data)"),
    ("xxe", "import xml.etree.ElementTree as ET\nroot = ET.fromstring('<a/>')"),
    ("xxe", "from lxml import etree\ndef f(data):\n    return etree.fromstring(data, parser=SAFE_PARSER)"),
    ("xxe", "import xml.etree.ElementTree as ET\nel = ET.Element('a')"),
    ("jwt-verification-disabled", "import jwt\ndef f(t, k):\n    return jwt.decode(t, k, algorithms=['RS256'])"),
    (
        "jwt-verification-disabled",
        "import jwt\ndef f(t, k):\n    return jwt.decode(t, k, algorithms=['HS256'], options={'verify_exp': True})",
    ),
    ("jwt-verification-disabled", "import base64\ndef f(t):\n    return base64.b64decode(t)"),
    ("bind-all-interfaces", "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 8080))"),
    ("bind-all-interfaces", "app.run(host='localhost')"),
    ("bind-all-interfaces", "DEFAULT_ROUTE = '0.0.0.0'"),
    ("csrf-exempt", "from django.views.decorators.csrf import csrf_protect\n@csrf_protect\ndef form(request):\n    pass"),
    ("csrf-exempt", "@login_required\ndef view(request):\n    pass"),
    ("csrf-exempt", "WTF_CSRF_ENABLED = True"),
    ("hardcoded-secret-key", "import os\napp.secret_key = os.environ['SECRET_KEY']"),
    ("hardcoded-secret-key", "SECRET_KEY = 'abc'"),  # not a settings module
]


@pytest.mark.parametrize(("detector", "source"), POSITIVE)
def test_positive_snippet_is_reported(detector: str, source: str) -> None:
    findings = scan(source, detector)
    assert [f.detector for f in findings] == [detector], source


@pytest.mark.parametrize(("detector", "source"), NEGATIVE)
def test_negative_snippet_is_not_reported(detector: str, source: str) -> None:
    assert scan(source, detector) == []


def test_every_detector_has_positive_and_negative_snippets() -> None:
    assert {d for d, _ in POSITIVE} >= set(SECURITY_IDS) - {"path-traversal", "ssrf", "xss"}
    assert {d for d, _ in NEGATIVE} >= set(SECURITY_IDS) - {"path-traversal", "ssrf", "xss"}


def test_specs_are_complete_security_specs() -> None:
    registry = all_detectors()
    for detector_id in SECURITY_IDS:
        spec = registry[detector_id].spec
        assert spec.category is Category.SECURITY
        assert spec.cwe and spec.cwe.startswith("CWE-")
        assert spec.description and spec.effort_minutes > 0
    assert len(SECURITY_IDS) == 18
    assert registry["hardcoded-secret-key"].spec.severity.value == "high"


# --- settings modules ------------------------------------------------------------------------------


def test_debug_true_in_settings_module() -> None:
    findings = scan("DEBUG = True\nSECRET_KEY = 'django-insecure-x8#kq'", path="mysite/settings.py")
    assert sorted(f.detector for f in findings) == ["debug-enabled", "hardcoded-secret-key"]
    key = next(f for f in findings if f.detector == "hardcoded-secret-key")
    assert key.severity == "high" and key.line == 2


def test_settings_read_from_environment_are_fine() -> None:
    source = """
        import os
        DEBUG = os.environ.get("DEBUG") == "1"
        SECRET_KEY = os.environ["SECRET_KEY"]
        GLOBAL_SECRET_KEY = ""
        SECRET_KEY_EMPTY = ""
    """
    assert scan(source, path="config/settings/production.py") == []


def test_debug_inside_a_settings_class_or_function_is_not_module_level() -> None:
    source = """
        def configure():
            DEBUG = True
            SECRET_KEY = "abc"
            return DEBUG, SECRET_KEY
    """
    assert scan(source, ["debug-enabled", "hardcoded-secret-key"], path="proj/settings.py") == []


@pytest.mark.parametrize(
    "source",
    [
        "SECRET_KEY = 'k8#Qz!x9Lm2$wR7p'",
        "app.config.update(SECRET_KEY='k8#Qz!x9Lm2$wR7p')",
        "app.secret_key = 'k8#Qz!x9Lm2$wR7p'",
    ],
)
def test_secret_key_is_not_reported_twice(source: str) -> None:
    findings = scan(source, path="proj/settings/base.py")
    assert [f.detector for f in findings] == ["hardcoded-secret-key"]


def test_hardcoded_secret_key_in_test_settings_has_low_confidence() -> None:
    findings = scan("SECRET_KEY = 'k8#Qz!x9Lm2$wR7p'", path="tests/settings.py")
    assert [(f.detector, f.confidence) for f in findings] == [("hardcoded-secret-key", 0.3)]


# --- taint -----------------------------------------------------------------------------------------


def test_request_data_reaching_sql_raises_confidence_and_names_the_source() -> None:
    tainted = scan(
        """
        def view(request):
            uid = request.GET.get("id")
            cursor.execute("SELECT * FROM t WHERE id = %s" % uid)
        """,
        "sql-injection",
    )
    unknown = scan(
        """
        def helper(uid):
            cursor.execute("SELECT * FROM t WHERE id = %s" % uid)
        """,
        "sql-injection",
    )
    assert len(tainted) == 1 and len(unknown) == 1
    assert tainted[0].confidence == 0.9 and unknown[0].confidence == 0.6
    assert tainted[0].metadata["taint_source"] == "request.GET"
    assert tainted[0].metadata["taint_kind"] == "request"
    assert tainted[0].metadata["taint_line"] == 3
    assert tainted[0].severity == "critical" and unknown[0].severity == "high"
    # request data reaching the sink is evidence: a vulnerability with its path; the pattern alone is a hotspot
    assert (tainted[0].kind, unknown[0].kind) == ("vulnerability", "hotspot")
    assert [step["line"] for step in tainted[0].taint_path] == [3, 4] and unknown[0].taint_path == []


def test_local_sources_make_a_hotspot_with_its_path_not_a_vulnerability() -> None:
    source = """
        def prompt():
            code = input(">>> ")
            return eval(code)
    """
    findings = scan(source, "code-injection")
    assert [(f.severity, f.kind, f.metadata["taint_kind"]) for f in findings] == [("high", "hotspot", "input")]
    assert [s["note"] for s in findings[0].taint_path] == ["source: input()", "sink: eval"]


def test_weak_hash_is_less_certain_than_weak_cipher() -> None:
    source = "import hashlib, crypt\nfrom Crypto.Cipher import ARC4\nh = hashlib.md5(b'x')\nc = ARC4.new(k)\np = crypt.crypt(pw, crypt.METHOD_MD5)\n"
    found = scan(source, "weak-crypto")
    # the hash's use is unknown: a hotspot; a broken cipher and MD5 password crypt: vulnerabilities
    assert [(f.confidence, f.kind) for f in found] == [(0.4, "hotspot"), (0.9, "vulnerability"), (0.9, "vulnerability")]


@pytest.mark.parametrize(
    "expr",
    [
        "f'ls {x}'",
        "'ls ' + x",
        "'ls %s' % x",
        "'ls %s' % (x,)",
        "'ls {}'.format(x)",
        "' '.join(['ls', x])",
        "wrap(x)",
        "x.strip().lower()",
        "'ls ' + y",
        "z",
        "('ls ' if flag else 'dir ') + x",
    ],
)
def test_taint_propagates_through_strings_and_calls(expr: str) -> None:
    source = f"""
        import os
        def f(flag):
            x = input()
            y = x
            z = "ls "
            z += y
            os.system({expr})
    """
    findings = scan(source, "command-injection")
    assert len(findings) == 1
    assert findings[0].metadata["taint_kind"] == "input"
    assert findings[0].taint_path[0] == {"path": "app/views.py", "line": 4, "note": "source: input()"}


@pytest.mark.parametrize(
    ("source_expr", "kind"),
    [
        ("request.POST['q']", "request"),
        ("request.data.get('q')", "request"),
        ("request.query_params['q']", "request"),
        ("request.COOKIES.get('q')", "request"),
        ("request.headers['X-Q']", "request"),
        ("self.request.GET['q']", "request"),
        ("sys.argv[1]", "argv"),
        ("os.environ['Q']", "environment"),
        ("os.environ.get('Q')", "environment"),
        ("os.getenv('Q')", "environment"),
        ("input('q? ')", "input"),
    ],
)
def test_taint_sources(source_expr: str, kind: str) -> None:
    source = f"""
        import os, sys
        def f(self, request):
            value = {source_expr}
            eval(value)
    """
    findings = scan(source, "code-injection")
    assert [f.metadata.get("taint_kind") for f in findings] == [kind]


def test_flask_request_resolved_through_imports() -> None:
    source = """
        from flask import request as req_obj
        import requests

        def proxy():
            target = req_obj.args["url"]
            return requests.get(target, timeout=5)
    """
    findings = scan(source, "ssrf")
    assert len(findings) == 1 and findings[0].metadata["taint_source"] == "request.args"


def test_unrelated_request_module_is_not_a_source() -> None:
    source = """
        from urllib import request
        import requests

        def fetch():
            return requests.get(request.data)
    """
    assert scan(source, "ssrf") == []


def test_sanitiser_and_reassignment_clear_taint() -> None:
    source = """
        import os
        def f(request):
            n = int(request.GET["n"])
            os.system("sleep %d" % n)
            name = request.GET["name"]
            name = "fixed"
            os.system("echo " + name)
    """
    assert scan(source, "command-injection") == []


def test_assignment_in_a_branch_merges_with_the_previous_binding() -> None:
    source = """
        import os
        def f(request, flag):
            name = request.GET["name"]
            if flag:
                name = "fixed"
            os.system("echo " + name)
    """
    findings = scan(source, "command-injection")
    assert len(findings) == 1 and findings[0].confidence == 0.9


def test_parameter_reassigned_in_a_branch_stays_non_constant() -> None:
    source = """
        from django.utils.safestring import mark_safe
        def render(value=None):
            if not value:
                value = "<i>empty</i>"
            return mark_safe(value)
        def render_choice(flag):
            if flag:
                html = "<b>yes</b>"
            else:
                html = "<b>no</b>"
            return mark_safe(html)
    """
    assert [f.line for f in scan(source, "xss")] == [6]


def test_aliased_imports_are_seen_through() -> None:
    source = """
        from os import system as run_shell
        from django.utils.safestring import mark_safe as ms
        def f(request):
            run_shell("echo " + request.GET["x"])
            return ms(request.GET["y"])
    """
    assert [f.detector for f in scan(source)] == ["command-injection", "xss"]


def test_taint_does_not_leak_between_functions_or_files() -> None:
    first = """
        import os
        def a(request):
            cmd = request.GET["c"]
        def b(cmd):
            os.system("run " + cmd)
    """
    findings = scan(first, "command-injection")
    assert len(findings) == 1 and findings[0].confidence == 0.6
    detectors = instantiate()
    scan("import os\ndef a(request):\n    cmd = request.GET['c']\n", detectors=detectors)
    again = scan("import os\ndef a(cmd):\n    os.system('run ' + cmd)\n", detectors=detectors)
    assert [f.confidence for f in again] == [0.6]


def test_value_is_taken_as_it_was_when_assigned() -> None:
    source = """
        import os
        def f(request):
            cmd = request.GET["c"]
            copy = cmd
            cmd = "uptime"
            os.system(copy)
            os.system(cmd)
    """
    findings = scan(source, "command-injection")
    assert [(f.line, f.confidence) for f in findings] == [(7, 0.9)]


def test_long_chains_of_reassignments_do_not_exhaust_the_stack() -> None:
    body = "\n".join(
        ["    q = 'SELECT 1'", *["    q = q + ' UNION SELECT 1'"] * 1500, "    q += request.GET['x']", "    cursor.execute(q)"]
    )
    findings = scan("def view(request, cursor):\n" + body + "\n", "sql-injection")
    assert [f.confidence for f in findings] == [0.9]


def test_module_level_tainted_value_is_seen_in_functions() -> None:
    source = """
        import os, sys
        TARGET = sys.argv[1]
        def main():
            os.system("ping " + TARGET)
    """
    findings = scan(source, "command-injection")
    assert findings[0].metadata["taint_source"] == "sys.argv"


def test_loop_target_and_walrus_carry_taint() -> None:
    source = """
        def f(request):
            for name in request.GET.getlist("n"):
                eval(name)
            if (code := request.POST.get("c")):
                exec(code)
    """
    findings = scan(source, "code-injection")
    assert [f.confidence for f in findings] == [0.9, 0.9]


def test_subscript_and_attribute_targets_carry_taint() -> None:
    source = """
        class V:
            def get(self, request):
                self.cmd = request.GET["c"]
                opts = {}
                opts["x"] = request.GET["x"]
                eval(self.cmd)
                eval(opts)
    """
    findings = scan(source, "code-injection")
    assert [f.confidence for f in findings] == [0.9, 0.9]


# --- path traversal, ssrf, xss ---------------------------------------------------------------------


def test_path_traversal_fires_only_for_request_data() -> None:
    positive = """
        import os
        from django.http import FileResponse

        def download(request):
            name = request.GET["file"]
            path = os.path.join("/srv/files", name)
            return FileResponse(open(path, "rb"))
    """
    findings = scan(positive, "path-traversal")
    assert len(findings) == 1  # one finding per source per function, at the first sink
    assert findings[0].line == 7 and findings[0].metadata["taint_source"] == "request.GET"
    negative = """
        import os, sys
        def load(name):
            return open(os.path.join("/srv/files", name))
        def cli():
            return open(sys.argv[1])
    """
    assert scan(negative, "path-traversal") == []


def test_path_traversal_from_view_argument_and_sanitised_path() -> None:
    findings = scan("def serve(request, filename):\n    return open('/srv/' + filename)\n", "path-traversal")
    assert findings and findings[0].metadata["taint_source"] == "view argument 'filename'"
    safe = """
        import os
        from django.utils._os import safe_join
        def serve(request, filename):
            open(safe_join("/srv", filename))
            open(os.path.join("/srv", os.path.basename(filename)))
    """
    assert scan(safe, "path-traversal") == []


def test_route_parameters_are_request_data() -> None:
    source = """
        from flask import Flask, send_file
        app = Flask(__name__)

        @app.route("/files/<path:name>")
        def download(name):
            return send_file("/srv/" + name)
    """
    findings = scan(source, "path-traversal")
    assert [f.metadata["taint_source"] for f in findings] == ["view argument 'name'"]


def test_helpers_taking_request_first_are_not_views() -> None:
    source = """
        from django.http import HttpResponse
        def technical_response(request, exc_type, template_name, status_code=500):
            html = open(template_name).read() % exc_type
            return HttpResponse(html, status=status_code)
    """
    assert scan(source, ["path-traversal", "xss"]) == []


def test_lookups_and_rendering_do_not_carry_taint() -> None:
    source = """
        from django.http import HttpResponse
        from django.shortcuts import get_object_or_404
        from django.template import loader
        def page(request, url):
            f = get_object_or_404(FlatPage, url=url)
            user = User.objects.get(username=request.GET["u"])
            html = loader.get_template("page.html").render({"page": f, "user": user}, request)
            return HttpResponse(html)
    """
    assert scan(source, "xss") == []


def test_translated_literals_are_constant() -> None:
    source = """
        from django.utils.html import format_html
        from django.utils.translation import gettext as _
        def message(obj, flag):
            msg = _("The {name} was added.")
            if flag:
                msg += " " + _("You may edit it again below.")
            return format_html(msg, name=obj)
    """
    assert scan(source, "xss") == []


def test_flask_send_file_with_request_arg() -> None:
    source = """
        from flask import request, send_file
        def get():
            return send_file(request.args["p"])
    """
    assert [f.detector for f in scan(source, "path-traversal")] == ["path-traversal"]


def test_ssrf_positive_and_negative() -> None:
    positive = """
        import httpx
        from urllib.request import urlopen

        def a(request):
            return httpx.get(request.GET["u"])
        def b(request):
            return urlopen("http://x/" + request.POST["p"])
        def c(request, session):
            return session.get(request.GET["u"])
    """
    assert [f.line for f in scan(positive, "ssrf")] == [6, 8, 10]
    negative = """
        import requests, os
        def a(url):
            return requests.get(url)
        def b():
            return requests.get(os.environ["URL"])
        def c(request):
            return requests.get("https://api.example.com/", params={"q": request.GET["q"]})
        def d(request):
            return request.GET.get("u")
    """
    assert scan(negative, "ssrf") == []


def test_xss_positive_and_negative() -> None:
    positive = """
        from django.utils.safestring import mark_safe
        from django.utils.html import format_html
        from markupsafe import Markup
        from django.http import HttpResponse

        def a(request):
            return mark_safe("<b>%s</b>" % request.GET["n"])
        def b(name):
            return format_html(f"<b>{name}</b>")
        def c(html):
            return Markup(html)
        def d(request):
            return HttpResponse("Hello " + request.GET["n"])
    """
    findings = scan(positive, "xss")
    assert [f.line for f in findings] == [8, 10, 12, 14]
    assert findings[0].confidence == 0.9 and findings[0].severity == "high"
    negative = """
        from django.utils.safestring import mark_safe
        from django.utils.html import format_html, escape
        from django.http import HttpResponse

        def a():
            return mark_safe("<br>")
        def b(name):
            return format_html("<b>{}</b>", name)
        def c(name):
            return mark_safe("<b>%s</b>" % escape(name))
        def d(request):
            return HttpResponse(request.GET["n"], content_type="text/plain")
        def e(n):
            return HttpResponse("Hello " + n)
    """
    assert scan(negative, "xss") == []


def test_eval_of_compile_is_one_finding_about_the_source() -> None:
    source = """
        import os
        def startup():
            path = os.environ.get("PYTHONSTARTUP")
            with open(path) as f:
                eval(compile(f.read(), path, "exec"))
    """
    findings = scan(source, "code-injection")
    assert [(f.line, f.message.split("(")[0], f.confidence) for f in findings] == [(6, "compile", 0.6)]


def test_xxe_with_request_body_is_high() -> None:
    source = """
        from xml.dom.minidom import parseString
        def upload(request):
            return parseString(request.body)
    """
    findings = scan(source, "xxe")
    assert findings[0].severity == "high" and findings[0].confidence == 0.9


# --- secrets ---------------------------------------------------------------------------------------


def test_hardcoded_secret_in_test_file_has_lower_confidence() -> None:
    source = "db_password = 'Xk9#mP2$vLq8wZ'\nAWS = 'AKIAQ3EGT5KZQ7NXW2MB'\n"
    prod = scan(source, "hardcoded-secret", path="app/conf.py")
    test = scan(source, "hardcoded-secret", path="tests/test_conf.py")
    assert [f.confidence for f in prod] == [0.6, 0.95]
    assert [f.confidence for f in test] == [0.3, 0.5]
    assert prod[0].severity == "medium" and prod[1].severity == "high"


def test_entropy_threshold_is_configurable() -> None:
    source = "api_key = 'abcd1234abcd1234'"  # 8 distinct symbols: 3.0 bits per character
    assert shannon_entropy("abcd1234abcd1234") == pytest.approx(3.0)
    assert len(scan(source, "hardcoded-secret")) == 1
    strict = {"hardcoded-secret": DetectorSettings(thresholds={"entropy_threshold": 3.5})}
    assert scan(source, "hardcoded-secret", settings=strict) == []
    short = {"hardcoded-secret": DetectorSettings(thresholds={"min_length": 20})}
    assert scan(source, "hardcoded-secret", settings=short) == []


def test_severity_override_from_configuration_wins() -> None:
    settings = {"sql-injection": DetectorSettings(severity=Severity.LOW)}
    source = """
        def view(request):
            cursor.execute("SELECT %s" % request.GET["x"])
    """
    findings = scan(source, "sql-injection", settings=settings)
    assert findings[0].severity == "low" and findings[0].confidence == 0.9


# --- robustness and real code ----------------------------------------------------------------------


def test_detector_instances_are_reusable_across_files() -> None:
    detectors = instantiate()
    first = scan("def v(request):\n    open(request.GET['f'])\n", detectors=detectors)
    second = scan("def v(request):\n    open(request.GET['f'])\n", detectors=detectors)
    assert [f.detector for f in first] == [f.detector for f in second] == ["path-traversal"]


def test_clean_code_has_no_findings() -> None:
    source = """
        import hashlib, json, secrets, subprocess
        import requests

        def handler(request, cursor):
            uid = request.GET.get("id")
            cursor.execute("SELECT name FROM users WHERE id = %s", [uid])
            data = json.loads(request.body)
            token = secrets.token_urlsafe(32)
            digest = hashlib.sha256(token.encode()).hexdigest()
            subprocess.run(["git", "log", uid], check=True)
            requests.get("https://api.example.com/users", params={"id": uid}, timeout=5)
            return data, digest
    """
    assert scan(source) == []


STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.skipif(not (STDLIB / "pydoc.py").exists(), reason="standard library sources not installed")
def test_run_over_standard_library_modules() -> None:
    detectors = instantiate()
    found: dict[str, set[str]] = {}
    for name in ("pydoc.py", "mailcap.py", "pipes.py", "tempfile.py", "http/server.py", "ssl.py", "sqlite3/dump.py"):
        path = STDLIB / name
        ctx = make_context(path.read_text(encoding="utf-8"), name)
        traverse(ctx, detectors)
        found[name] = {f.detector for f in ctx.findings}
    assert "command-injection" in found["pydoc.py"]  # os.system('more "%s"' % filename)
    assert "command-injection" in found["mailcap.py"]  # os.system(command) with sys.argv data
    assert "sql-injection" in found["sqlite3/dump.py"]  # cu.execute('PRAGMA ...'.format(...))
    assert found["tempfile.py"] == set()  # defines mktemp, never calls it
    assert "hardcoded-secret" not in set().union(*found.values())
