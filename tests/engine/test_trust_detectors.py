"""The causes of security false alarms (issue 15): guards on options, what hashes and random
values are used for, documentation and placeholders; and what stays a vulnerability."""

from __future__ import annotations

from tests.engine.security_helpers import scan


def kinds(source: str, detector: str, path: str = "app/net.py") -> list[tuple[int, str]]:
    return [(f.line, f.kind) for f in scan(source, detector, path)]


# --- guards -------------------------------------------------------------------------------------


def test_cert_none_inside_a_branch_on_an_option_is_one_hotspot_per_block():
    source = """
        import ssl
        def connect(host, validate_certs=True):
            ctx = ssl.create_default_context()
            if not validate_certs:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return ctx
    """
    assert kinds(source, "insecure-tls") == [(6, "hotspot")]


def test_verify_false_on_a_self_option_is_a_hotspot_and_unconditional_is_a_vulnerability():
    guarded = """
        import requests
        class Client:
            def get(self, url):
                if self.verify is False:
                    return requests.get(url, verify=False, timeout=5)
                return requests.get(url, timeout=5)
    """
    plain = """
        import requests
        def fetch(url):
            return requests.get(url, verify=False, timeout=5)
    """
    assert kinds(guarded, "insecure-tls") == [(6, "hotspot")]
    assert kinds(plain, "insecure-tls") == [(4, "vulnerability")]


def test_a_branch_on_a_result_is_not_an_option():
    source = """
        import requests
        def fetch(url, session):
            response = session.head(url)
            if response.status_code == 200:
                return requests.get(url, verify=False, timeout=5)
    """
    assert kinds(source, "insecure-tls") == [(6, "vulnerability")]


def test_each_unverified_request_is_its_own_vulnerability():
    source = """
        import requests
        def fetch():
            requests.get("https://a.example", verify=True, timeout=5)
            requests.get("https://a.example", verify=False, timeout=5)
            requests.post("https://a.example", verify=False, timeout=5)
    """
    assert kinds(source, "insecure-tls") == [(5, "vulnerability"), (6, "vulnerability")]


def test_a_cert_none_constant_in_a_mapping_is_not_a_setting():
    source = """
        import ssl
        MODES = {"none": ssl.CERT_NONE}
        mode = ssl.CERT_NONE
    """
    assert kinds(source, "insecure-tls") == []


def test_jwt_decode_without_verification_on_an_option_is_a_hotspot():
    source = """
        import jwt
        def read(token, key, verify=True):
            if not verify:
                return jwt.decode(token, options={"verify_signature": False})
            return jwt.decode(token, key, algorithms=["HS256"])
        def peek(token):
            return jwt.decode(token, options={"verify_signature": False})
    """
    assert kinds(source, "jwt-verification-disabled") == [(5, "hotspot"), (8, "vulnerability")]


# --- hashes ---------------------------------------------------------------------------------------


def test_non_security_uses_of_weak_hashes_are_not_findings():
    source = """
        import hashlib
        def etag(body):
            return hashlib.md5(body).hexdigest()
        def key_for(url):
            cache_key = hashlib.sha1(url.encode()).hexdigest()
            return cache_key
        SIZE = hashlib.sha1().digest_size
        checksum = hashlib.md5(data, usedforsecurity=False).hexdigest()
        def md5_crypt(secret, salt):
            return hashlib.md5(secret + salt).digest()
    """
    assert scan(source, "weak-crypto") == []


def test_a_weak_hash_of_a_password_is_a_vulnerability_and_an_unknown_use_a_hotspot():
    source = """
        import hashlib
        def store(user, password):
            user.password_hash = hashlib.md5(password.encode()).hexdigest()
        def digest(data):
            return hashlib.sha1(data).hexdigest()
    """
    found = scan(source, "weak-crypto")
    assert [(f.line, f.kind, f.confidence) for f in found] == [(4, "vulnerability", 0.8), (6, "hotspot", 0.4)]


# --- random ---------------------------------------------------------------------------------------


def test_random_for_jitter_delays_and_salt_named_functions_is_not_a_vulnerability():
    source = """
        import random, time
        def retry_with_salt(attempt):
            delay = random.uniform(0, 2 ** attempt)
            time.sleep(random.random())
            jitter = random.randint(1, 5)
            return delay + jitter
        def make_salt():
            return random.choice("abc")
        def new_token():
            return random.choice("abc")
    """
    found = scan(source, "insecure-random")
    # only the function name hints at a secret: a hotspot below the default confidence floor
    assert [(f.line, f.kind, f.confidence) for f in found] == [(11, "hotspot", 0.3)]


def test_random_bound_to_a_token_is_a_vulnerability():
    source = """
        import random, string
        def invite(user):
            token = "".join(random.choice(string.ascii_letters) for _ in range(20))
            user.reset_token = token
    """
    assert kinds(source, "insecure-random") == [(4, "vulnerability")]


# --- secrets ----------------------------------------------------------------------------------------


def test_keys_in_docstrings_and_placeholders_are_not_secrets():
    source = '''
        def connect():
            """Example::

                client = Client(key="AKIAIOSFODNN7EXAMPL3")
            """
        print("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL3")
        KEY = "AKIAIOSFODNN7REALKEY"
    '''
    found = scan(source, "hardcoded-secret")
    assert [(f.line, f.kind) for f in found] == [(8, "vulnerability")]


def test_secret_key_in_settings_is_a_vulnerability_unless_opted_or_development():
    prod = 'SECRET_KEY = "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"\n'
    dev = 'if DEBUG:\n    SECRET_KEY = "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"\n'
    assert kinds(prod, "hardcoded-secret-key", "proj/settings.py") == [(1, "vulnerability")]
    assert kinds(prod, "hardcoded-secret-key", "proj/settings/local.py") == [(1, "hotspot")]
    assert kinds(dev, "hardcoded-secret-key", "proj/settings.py") == [(2, "hotspot")]


# --- names resolved before calling them sinks -------------------------------------------------------


def test_dict_get_is_not_an_http_call_but_a_session_is():
    source = """
        import requests
        def proxy(request):
            http_headers = {"a": "b"}
            value = http_headers.get(request.GET["url"])
            session = requests.Session()
            return session.get(request.GET["url"], timeout=5), value
        def forward(request, client):
            return client.get(request.GET["next"])
    """
    assert kinds(source, "ssrf") == [(7, "vulnerability"), (9, "vulnerability")]


def test_yaml_loaders_deriving_from_safe_ones_are_safe_in_the_file_and_across_modules(tmp_path):
    from analysis.engine import analyze

    local = """
        import yaml
        class StrictLoader(yaml.SafeLoader):
            pass
        class Strict2(StrictLoader):
            pass
        class Ctor(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
            pass
        def read(text):
            return yaml.load(text, Loader=Strict2), yaml.load(text, Loader=Ctor), yaml.load(text, Loader=yaml.Loader)
    """
    assert [f.metadata["yaml_loader"] for f in scan(local, "unsafe-deserialization")] == ["yaml.Loader"]

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "loaders.py").write_text(
        "import yaml\n\n\nclass Base(yaml.CSafeLoader):\n    pass\n\n\nclass Mine(Base):\n    pass\n"
    )
    (tmp_path / "pkg" / "unsafe.py").write_text("import yaml\n\n\nclass Risky(yaml.UnsafeLoader):\n    pass\n")
    (tmp_path / "pkg" / "use.py").write_text(
        "import yaml\nfrom pkg.loaders import Mine\nfrom pkg.unsafe import Risky\n\n\n"
        "def read(text):\n    return yaml.load(text, Loader=Mine), yaml.load(text, Loader=Risky)\n"
    )
    found = [f for f in analyze(str(tmp_path), workers=1).findings if f.detector == "unsafe-deserialization"]
    assert [(f.path, f.metadata["yaml_loader"]) for f in found] == [("pkg/use.py", "pkg.unsafe.Risky")]


# --- other tools' markers ------------------------------------------------------------------------


def test_noqa_nosec_and_no_cover_are_honoured_and_configurable(tmp_path):
    from analysis.engine import analyze
    from analysis.engine.markers import detectors_for, parse_markers

    assert detectors_for("S608") == detectors_for("B608") == ("sql-injection",)
    assert parse_markers("x = 1  # noqa: F401, S105\n", ["x = 1  # noqa: F401, S105"]) == {"noqa": {1: ["F401", "S105"]}}

    (tmp_path / "app.py").write_text(
        "import os  # noqa: F401\n"
        "import sys  # noqa: E501\n"
        "from flask import request\n\n\n"
        "def run():\n"
        "    os.system('ls ' + request.args['d'])  # nosec B605\n"
        "    os.system('ls ' + request.args['e'])  # nosec B608\n"
        "    return eval(request.args['x'])  # noqa\n\n\n"
        "def _legacy():  # pragma: no cover\n"
        "    return 1\n"
    )
    found = {(f.detector, f.line) for f in analyze(str(tmp_path), workers=1).findings}
    assert ("unused-import", 1) not in found and ("unused-import", 2) in found  # E501 says nothing about imports
    assert ("command-injection", 7) not in found and ("command-injection", 8) in found  # B608 is SQL
    assert ("code-injection", 9) not in found
    assert ("unused-function-or-class", 12) not in found

    (tmp_path / "repotoire.toml").write_text("[markers]\nnosec = false\n")
    found = {(f.detector, f.line) for f in analyze(str(tmp_path), workers=1).findings}
    assert ("command-injection", 7) in found and ("code-injection", 9) not in found
