"""Security detectors about secrets, cryptography, TLS and framework configuration.

They need no taint: each looks at one call, assignment or literal. Shared helpers come from
``security.py``.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from typing import ClassVar

from analysis.engine.context import FileContext
from analysis.engine.detectors.security import is_const, keyword, spec, user_severity
from analysis.engine.model import Kind, Severity
from analysis.engine.registry import NodeDetector, register
from analysis.engine.taint import call_terminal, dotted
from analysis.engine.usage import enclosing_block, option_guard, purpose, usage_names

# an unsafe setting opted into through an option (or a placeholder, or development settings):
# worth a look once, below the default confidence floor of the views
GUARDED_CONFIDENCE = 0.4


def is_settings_module(ctx: FileContext) -> bool:
    parts = ctx.path.lower().split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return "settings" in stem or "settings" in parts[:-1] or stem in ("config", "configuration")


def at_module_level(ctx: FileContext) -> bool:
    return ctx.function is None and ctx.class_ is None


def target_name(node: ast.AST) -> str:
    """Last component of an assignment target or dict key: ``self.api_key`` -> "api_key",
    ``cfg["TOKEN"]`` -> "TOKEN"."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""


def _str_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _assignments(node: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    if isinstance(node, ast.Assign):
        return [(t, node.value) for t in node.targets]
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [(node.target, node.value)]
    return []


# --- hardcoded-secret-key -------------------------------------------------------------------------


def _secret_key_target(target: ast.AST, ctx: FileContext) -> bool:
    """Targets that hardcoded-secret-key owns: Django's SECRET_KEY in a settings module, Flask's
    app.secret_key / app.config["SECRET_KEY"] anywhere."""
    if isinstance(target, ast.Name):
        return target.id == "SECRET_KEY" and is_settings_module(ctx)
    if isinstance(target, ast.Attribute):
        return target.attr == "secret_key"
    if isinstance(target, ast.Subscript):
        return target_name(target) == "SECRET_KEY" and (dotted(target.value) or "").endswith("config")
    return False


@register
class HardcodedSecretKey(NodeDetector):
    """Django/Flask SECRET_KEY written as a literal in the code."""

    spec = spec(
        "hardcoded-secret-key",
        Severity.HIGH,
        "Hardcoded SECRET_KEY",
        "The framework signing key (Django SECRET_KEY, Flask secret_key) is a literal in the "
        "source: anyone with the code can forge sessions, password-reset tokens and signed data. "
        "Read it from the environment or a secret store.",
        "CWE-798",
        10,
    )
    node_types = (ast.Assign, ast.AnnAssign, ast.Call)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "update"
                and (dotted(node.func.value) or "").endswith("config")
            ):
                if _str_value(keyword(node, "SECRET_KEY")):
                    self._report(node, ctx)
            return
        for target, value in _assignments(node):
            if _str_value(value) and _secret_key_target(target, ctx):
                if isinstance(target, ast.Name) and not at_module_level(ctx):
                    continue
                self._report(node, ctx)
                return

    def _report(self, node: ast.AST, ctx: FileContext) -> None:
        value = next((v for v in ast.walk(node) if _str_value(v) is not None), None)
        placeholder = _PLACEHOLDER.search(_str_value(value) or "") is not None
        # a literal signing key in the code is unsafe whatever runs it, unless it is a placeholder,
        # set only on an option (if DEBUG: ...) or in a development settings module
        opted = placeholder or option_guard(ctx) is not None or _DEV_SETTINGS.search(ctx.path) is not None
        confidence = 0.3 if ctx.is_test else GUARDED_CONFIDENCE if opted else 0.95
        ctx.report(
            self.spec,
            node,
            "SECRET_KEY is a string literal; load it from the environment",
            confidence=confidence,
            kind=Kind.HOTSPOT if opted else Kind.VULNERABILITY,
        )


# --- hardcoded-secret -----------------------------------------------------------------------------

KNOWN_TOKENS = [
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("GitHub fine-grained token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}\b")),
    ("Stripe live key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}\b")),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
]
# prefixes of KNOWN_TOKENS, factored by first character (3x faster than a flat alternation)
_TOKEN_HINT = re.compile(r"A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|Iza)|gh(?:[pousr]_|ithub_pat_)|[sr]k_live_|xox[baprs]-|-----BEGIN")
_SECRET_NAME = re.compile(
    r"(passw|passphrase|pwd|secret|token|api_?key|apikey|access_?key|private_?key|auth_?key|credential|signing_?key|encryption_?key)",
    re.IGNORECASE,
)
_NOT_A_SECRET_NAME = re.compile(
    r"(name|field|fields|type|types|url|uri|path|file|filename|dir|header|param|params|prefix|suffix|label|"
    r"template|message|msg|pattern|regex|re|help|help_text|length|len|format|id|env|var|setting|attr|class|"
    r"cls|count|expiry|expires|ttl|timeout|age|error|errors|form|view|validator|hasher|hashers|backend|"
    r"backends|model|display|description|policy|location|kind|method|mode|scheme|style|endpoint|key_name|"
    r"required|enabled|storage|source|input|reset|changed|change|set|hash|hashed|salt|max|min|invalid|"
    r"mismatch|confirm|confirmation|widget|generator|sent|status|reset_done|verbose_name)$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"(change.?me|changeit|example|placeholder|dummy|fake|sample|redacted|your[_-]|xxx|\*\*\*|"
    r"^(password|passwd|secret|token|none|null|test|testing|todo|tbd|admin|default|insecure)$|"
    r"\{\{|\$\{|%\(|^<.*>$|^\$)",
    re.IGNORECASE,
)


_IDENTIFIER = re.compile(r"[A-Za-z_][\w.-]*")
_DEV_SETTINGS = re.compile(r"(^|[/_])(dev|development|local|test|tests|testing|ci|example|sample)[^/]*\.py$", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z_.\-]+")


def _documentation(ctx: FileContext) -> bool:
    """The string being visited is a statement of its own (a docstring or a bare string) or sits
    in a call that prints or documents: examples in documentation are not credentials."""
    parent = ctx.parents[-1] if ctx.parents else None
    return isinstance(parent, ast.Expr) or (
        isinstance(parent, ast.Call)
        and (dotted(parent.func) or "").rpartition(".")[2] in ("print", "echo", "help", "add_argument")
    )


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _looks_random(value: str) -> bool:
    if any(ch.isspace() for ch in value):
        return False
    # identifier-like words (field names, camelCase keys) unless long enough to be a passphrase
    return not (_WORDS.fullmatch(value) and len(value) < 24)


@register
class HardcodedSecret(NodeDetector):
    """Credentials in the source: known token formats anywhere, and high-entropy literals bound
    to names such as password, secret, token or api_key."""

    spec = spec(
        "hardcoded-secret",
        Severity.HIGH,
        "Hardcoded secret",
        "A credential (cloud/API token, private key, password) is written in the source and ends "
        "up in every clone and backup. Move it to the environment or a secret store and rotate it.",
        "CWE-798",
        15,
        entropy_threshold=3.0,
        min_length=8,
    )
    node_types = (
        ast.Constant,
        ast.Assign,
        ast.AnnAssign,
        ast.keyword,
        ast.Dict,
        ast.Compare,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
    )

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        kind = node.__class__
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if value.__class__ is str and len(value) >= 16 and _TOKEN_HINT.search(value) and not _documentation(ctx):
                self._known_token(node, value, ctx)
            return
        # (name, target node or None, value) triples; only string literals can be secrets
        pairs: list[tuple[str, ast.AST | None, ast.AST]]
        if kind is ast.keyword:
            value = node.value  # type: ignore[attr-defined]
            if value.__class__ is not ast.Constant or not node.arg:  # type: ignore[attr-defined]
                return
            parent = ctx.parents[-1] if ctx.parents else None
            if node.arg == "SECRET_KEY" and isinstance(parent, ast.Call) and call_terminal(parent.func, ctx) == "update":  # type: ignore[attr-defined]
                return  # app.config.update(SECRET_KEY=...) belongs to hardcoded-secret-key
            pairs = [(node.arg, None, value)]  # type: ignore[attr-defined]
        elif kind is ast.Dict:
            pairs = [
                (k.value, None, v)
                for k, v in zip(node.keys, node.values, strict=True)  # type: ignore[attr-defined]
                if k.__class__ is ast.Constant and v.__class__ is ast.Constant and isinstance(k.value, str)  # type: ignore[union-attr]
            ]
        elif kind is ast.Compare:
            assert isinstance(node, ast.Compare)
            if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
                return
            left, right = node.left, node.comparators[0]
            pairs = [(target_name(left), left, right), (target_name(right), right, left)]
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            args = node.args  # type: ignore[attr-defined]
            positional = [*args.posonlyargs, *args.args]
            defaults = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
            defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
            pairs = [(a.arg, None, d) for a, d in defaults if d.__class__ is ast.Constant]
        else:
            value = node.value  # type: ignore[attr-defined]
            if value.__class__ is not ast.Constant:
                return
            pairs = [(target_name(t), t, value) for t, _ in _assignments(node)]
        for name, target, value in pairs:
            self._bound(node, name, target, value, ctx)

    def _known_token(self, node: ast.AST, value: str, ctx: FileContext) -> None:
        for label, pattern in KNOWN_TOKENS:
            match = pattern.search(value)
            if match is None or "EXAMPLE" in match.group(0).upper() or "XXXX" in match.group(0).upper():
                continue
            if _PLACEHOLDER.search(value) and label != "private key":
                continue
            confidence = 0.5 if ctx.is_test else 0.95
            ctx.report(
                self.spec,
                node,
                f"{label} written in the source",
                confidence=confidence,
                kind=Kind.VULNERABILITY,  # a live credential in the code is unsafe wherever it is used
                metadata={"kind": label, "match": match.group(0)[:12] + "…"},
            )
            return

    def _bound(self, node: ast.AST, name: str, target: ast.AST | None, value: ast.AST, ctx: FileContext) -> None:
        secret = _str_value(value)
        if not secret or not name:
            return
        if not _IDENTIFIER.fullmatch(name) or not _SECRET_NAME.search(name) or _NOT_A_SECRET_NAME.search(name):
            return
        if (target is not None and _secret_key_target(target, ctx)) or _TOKEN_HINT.search(secret):
            return  # owned by hardcoded-secret-key / reported as a known token format
        if len(secret) < ctx.threshold(self.spec, "min_length") or _PLACEHOLDER.search(secret) or not _looks_random(secret):
            return
        entropy = shannon_entropy(secret)
        threshold = ctx.threshold(self.spec, "entropy_threshold")
        if entropy < threshold:
            return
        confidence = 0.3 if ctx.is_test else 0.6
        ctx.report(
            self.spec,
            node,
            f"'{name}' is bound to a literal that looks like a secret",
            confidence=confidence,
            severity=user_severity(ctx, self.spec, Severity.MEDIUM),
            metadata={"name": name, "entropy": round(entropy, 2), "threshold": threshold},
        )


# --- weak-crypto ----------------------------------------------------------------------------------

_WEAK_HASHES = frozenset({"md5", "sha1", "md4", "md2", "sha"})
_WEAK_CIPHERS = frozenset(
    {"DES", "DES3", "ARC2", "ARC4", "Blowfish", "XOR", "CAST", "CAST5", "IDEA", "TripleDES", "SEED", "RC4", "RC2"}
)
_CIPHER_PREFIXES = (
    "Crypto.Cipher.",
    "Cryptodome.Cipher.",
    "cryptography.hazmat.primitives.ciphers.algorithms.",
    "cryptography.hazmat.decrepit.ciphers.algorithms.",
)
_HASH_PREFIXES = ("Crypto.Hash.", "Cryptodome.Hash.", "cryptography.hazmat.primitives.hashes.")


@register
class WeakCrypto(NodeDetector):
    """Broken hashes used for security, broken ciphers, and ECB mode."""

    spec = spec(
        "weak-crypto",
        Severity.MEDIUM,
        "Weak cryptography",
        "MD5/SHA-1 (unless marked usedforsecurity=False), DES/3DES/RC4/Blowfish and ECB mode are "
        "broken for security purposes. Use SHA-256+, AES-GCM/ChaCha20-Poly1305, or mark "
        "non-security hashing with usedforsecurity=False.",
        "CWE-327",
        15,
    )
    node_types = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        last = node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)
        message = None
        if last in ("crypt", "mksalt"):
            message = self._crypt(node, ctx)
            if message is not None:
                ctx.report(self.spec, node, message, confidence=0.9, kind=Kind.VULNERABILITY)
            return
        elif last.lower() in _WEAK_HASHES or last == "new" or last in _WEAK_CIPHERS or last == "ECB":
            message = self._message(node, last, ctx.qualified_name(node.func) or "")
        if (
            message is None
            and last == "new"
            and any(
                isinstance(a, ast.Attribute) and a.attr == "MODE_ECB" for a in (*node.args, *(k.value for k in node.keywords))
            )
        ):
            message = "block cipher used in ECB mode, which leaks patterns of the plaintext"
        if message is None:
            return
        if "usedforsecurity" in message or message.endswith("hash is broken for security use"):
            self._weak_hash(node, message, ctx)
            return
        # a broken cipher or ECB mode: unsafe whatever it protects, unless the code implements a
        # legacy or compatibility format on purpose
        legacy = purpose([ctx.symbol]) == "benign"
        ctx.report(
            self.spec,
            node,
            message,
            confidence=0.5 if legacy else 0.9,
            kind=Kind.HOTSPOT if legacy else Kind.VULNERABILITY,
        )

    def _weak_hash(self, node: ast.Call, message: str, ctx: FileContext) -> None:
        """A broken hash is a finding only when its use may be security: a value derived from a
        password, token or secret (a vulnerability), or nothing says what it is for (a hotspot
        at low confidence). Cache keys, ETags, checksums, ``sha1().digest_size`` and code that
        implements the algorithm's own format are not findings."""
        algorithm = message.split(" ", 1)[0].lower()
        names = usage_names(node, ctx)
        if algorithm in ctx.symbol.lower():
            return
        use = purpose(names)
        if use == "benign":
            return
        ctx.report(
            self.spec,
            node,
            message,
            confidence=0.8 if use == "security" else 0.4,
            kind=Kind.VULNERABILITY if use == "security" else Kind.HOTSPOT,
            metadata={"use": use or "unknown"},
        )

    def _crypt(self, node: ast.Call, ctx: FileContext) -> str | None:
        if not (ctx.qualified_name(node.func) or "").startswith("crypt."):
            return None
        salt = keyword(node, "salt") or (node.args[1] if len(node.args) > 1 else None)
        if (
            salt is None
            and node.args
            and (node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)) == "mksalt"
        ):
            salt = node.args[0]
        method = (ctx.qualified_name(salt) or "") if salt is not None else ""
        if method in ("crypt.METHOD_CRYPT", "crypt.METHOD_MD5", "crypt.METHOD_BLOWFISH"):
            return f"{method.rsplit('.', 1)[1]} password hashing is weak; use METHOD_SHA512 or a KDF such as scrypt/argon2"
        return None

    def _message(self, node: ast.Call, last: str, name: str) -> str | None:
        used_for_security = keyword(node, "usedforsecurity")
        if used_for_security is not None and not is_const(used_for_security, True):
            return None
        if name.startswith("hashlib."):
            algorithm = last
            if last == "new":
                algorithm = _str_value(node.args[0] if node.args else keyword(node, "name")) or ""
            if algorithm.lower() in _WEAK_HASHES:
                return f"{algorithm.lower()} is broken for security use; pass usedforsecurity=False if this is not security"
            return None
        module, _, func = name.rpartition(".")
        if func == "new" and module.startswith(_HASH_PREFIXES[:2]) and module.rsplit(".", 1)[-1].lower() in _WEAK_HASHES:
            return f"{module.rsplit('.', 1)[-1]} hash is broken for security use"
        if name.startswith(_HASH_PREFIXES[2]) and func.lower() in _WEAK_HASHES:
            return f"{func} hash is broken for security use"
        if func == "new" and module.startswith(_CIPHER_PREFIXES[:2]) and module.rsplit(".", 1)[-1] in _WEAK_CIPHERS:
            return f"{module.rsplit('.', 1)[-1]} cipher is broken"
        if name.startswith(_CIPHER_PREFIXES[2:]) and func in _WEAK_CIPHERS:
            return f"{func} cipher is broken"
        if name.endswith("modes.ECB"):
            return "ECB mode leaks patterns of the plaintext"
        return None


# --- insecure-tls ---------------------------------------------------------------------------------

_HTTP_CALLS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "request",
        "stream",
        "send",
        "Client",
        "AsyncClient",
        "Session",
        "ClientSession",
        "TCPConnector",
        "urlopen",
        "build_opener",
    }
)


@register
class InsecureTls(NodeDetector):
    """Certificate or host-name verification turned off."""

    spec = spec(
        "insecure-tls",
        Severity.HIGH,
        "TLS verification disabled",
        "verify=False, ssl._create_unverified_context, CERT_NONE or check_hostname=False accept any "
        "certificate: a man in the middle reads and alters the traffic. Keep verification on and "
        "point at the right CA bundle instead.",
        "CWE-295",
        10,
    )
    node_types = (ast.Call, ast.Assign)

    def start_file(self, ctx: FileContext) -> None:
        self.blocks: set[int] = set()

    def _report(self, ctx: FileContext, node: ast.AST, message: str, *, per_block: bool = True) -> None:
        """Once per block: ``check_hostname = False`` and ``verify_mode = CERT_NONE`` side by side
        are one decision. Inside a branch on an option (``if not verify_certs:``) it is opted
        into: a hotspot; otherwise the connection never verifies: a vulnerability. Separate
        requests (``per_block=False``) are separate connections, each reported unless guarded."""
        guard = option_guard(ctx)
        if per_block or guard is not None:
            block = guard if guard is not None else enclosing_block(ctx)
            if id(block) in self.blocks:
                return
            self.blocks.add(id(block))
        ctx.report(
            self.spec,
            node,
            message,
            confidence=GUARDED_CONFIDENCE if guard is not None else 0.9,
            kind=Kind.HOTSPOT if guard is not None else Kind.VULNERABILITY,
        )

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Assign):
            value_name = (ctx.qualified_name(node.value) or "") if node.value.__class__ is ast.Attribute else ""
            targets = [target_name(t) for t in node.targets]
            if value_name == "ssl.CERT_NONE" and any(_VERIFY_TARGET.search(t) for t in targets):
                self._report(ctx, node, f"{value_name} disables certificate verification")
            elif value_name == "ssl._create_unverified_context" and any("context" in t for t in targets):
                self._report(ctx, node, f"{value_name} disables certificate verification")
            elif is_const(node.value, False) and "check_hostname" in targets:
                self._report(ctx, node, "check_hostname = False disables host name verification")
            return
        assert isinstance(node, ast.Call)
        last = node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)
        if last == "_create_unverified_context":
            if ctx.qualified_name(node.func) == "ssl._create_unverified_context":
                self._report(ctx, node, "ssl._create_unverified_context() accepts any certificate")
            return
        for kw in node.keywords:
            if kw.arg in ("verify", "ssl", "verify_ssl") and is_const(kw.value, False):
                if last in _HTTP_CALLS or (ctx.qualified_name(node.func) or "").startswith(("requests.", "httpx.", "aiohttp.")):
                    self._report(ctx, node, f"{kw.arg}=False turns off certificate verification", per_block=False)
                    return
            elif kw.arg in ("cert_reqs", "verify_mode") and (
                ctx.qualified_name(kw.value) == "ssl.CERT_NONE" or _str_value(kw.value) == "CERT_NONE"
            ):
                self._report(ctx, node, f"{kw.arg}=CERT_NONE turns off certificate verification")
                return
            elif kw.arg in ("check_hostname", "assert_hostname") and is_const(kw.value, False):
                self._report(ctx, node, f"{kw.arg}=False turns off host name verification")
                return


_VERIFY_TARGET = re.compile(r"(verify|cert_req|cert_reqs|verify_mode)", re.IGNORECASE)


# --- insecure-random ------------------------------------------------------------------------------

_RANDOM_FUNCTIONS = frozenset(
    {"random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "shuffle", "uniform", "randbytes"}
)
_SECURITY_NAME = re.compile(
    r"(token(?!i[sz])|passw|passphrase|pwd|secret|nonce|otp|api_?key|session_?(id|key)|csrf|private_?key|"
    r"signing_?key|encryption_?key|crypt|auth_?code|reset_?code|verification|activation|invite_?code|"
    r"one_?time|pin_?code|challenge|credential)",
    re.IGNORECASE,
)


@register
class InsecureRandom(NodeDetector):
    """The ``random`` module used to make tokens, passwords, keys or nonces."""

    spec = spec(
        "insecure-random",
        Severity.MEDIUM,
        "Predictable random values for secrets",
        "random.* is a Mersenne Twister: its output can be predicted from a few samples. Use the "
        "secrets module (token_urlsafe, choice, randbits) for tokens, passwords, keys and nonces.",
        "CWE-338",
        10,
    )
    node_types = (ast.Call,)
    call_names = _RANDOM_FUNCTIONS  # pre-filter: the only calls visit looks at

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        last = node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)
        if last not in _RANDOM_FUNCTIONS or (ctx.qualified_name(node.func) or "") != f"random.{last}":
            return
        # jitter, delays, sampling, colours...: the value's names say it is not a secret
        if purpose([n for n in usage_names(node, ctx) if n != (ctx.function.name if ctx.function else None)]) == "benign":
            return
        for parent in reversed(ctx.parents):
            names: list[str] = []
            if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                names = [target_name(t) for t in (parent.targets if isinstance(parent, ast.Assign) else [parent.target])]
            elif isinstance(parent, ast.keyword) and parent.arg:
                names = [parent.arg]
            elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                break
            for name in names:
                if _SECURITY_NAME.search(name):
                    ctx.report(
                        self.spec,
                        node,
                        f"random.{last}() used for '{name}'; use the secrets module",
                        confidence=0.8,
                        metadata={"name": name},
                        kind=Kind.VULNERABILITY,  # the value is bound to a secret's name
                    )
                    return
        # only the enclosing function's name hints at a secret: a hotspot at low confidence
        function = ctx.function
        if function is not None and _SECURITY_NAME.search(function.name):
            ctx.report(
                self.spec,
                node,
                f"random.{last}() used in {function.name}(); use the secrets module",
                confidence=0.3,
                metadata={"name": function.name},
            )


# --- debug-enabled --------------------------------------------------------------------------------


@register
class DebugEnabled(NodeDetector):
    """Debug mode switched on in settings or when starting a Flask app."""

    spec = spec(
        "debug-enabled",
        Severity.MEDIUM,
        "Debug mode enabled",
        "DEBUG = True in a settings module or app.run(debug=True) shows stack traces, settings and "
        "(with Werkzeug) an interactive console to anyone. Turn it on from the environment in "
        "development only.",
        "CWE-489",
        5,
    )
    node_types = (ast.Assign, ast.Call)
    call_names = frozenset({"run"})  # pre-filter: the only calls visit looks at

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if ctx.is_test:
            return
        if isinstance(node, ast.Call):
            if (node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)) == "run" and is_const(
                keyword(node, "debug"), True
            ):
                ctx.report(self.spec, node, "application started with debug=True")
            return
        assert isinstance(node, ast.Assign)
        if not is_const(node.value, True):
            return
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == "DEBUG" and at_module_level(ctx) and is_settings_module(ctx):
                ctx.report(self.spec, node, "DEBUG = True in a settings module")
                return
            if (
                isinstance(target, (ast.Attribute, ast.Subscript))
                and target_name(target) in ("debug", "DEBUG")
                and (dotted(getattr(target, "value", target)) or "").endswith(("app", "config"))
            ):
                ctx.report(self.spec, node, "debug mode switched on for the application")
                return


# --- insecure-tempfile ----------------------------------------------------------------------------


@register
class InsecureTempfile(NodeDetector):
    """tempfile.mktemp and friends: the name can be taken before the file is created."""

    spec = spec(
        "insecure-tempfile",
        Severity.MEDIUM,
        "Race-prone temporary file name",
        "tempfile.mktemp() (and os.tempnam/tmpnam) returns a name that another process can create "
        "first (symlink attacks). Use NamedTemporaryFile, mkstemp or mkdtemp.",
        "CWE-377",
        5,
    )
    node_types = (ast.Call,)
    call_names = frozenset({"mktemp", "tempnam", "tmpnam"})  # pre-filter: the only calls visit looks at
    names: ClassVar[frozenset[str]] = frozenset({"tempfile.mktemp", "os.tempnam", "os.tmpnam"})

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if (node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)) in (
            "mktemp",
            "tempnam",
            "tmpnam",
        ):
            name = ctx.qualified_name(node.func) or ""
            if name in self.names:
                ctx.report(self.spec, node, f"{name}() is race-prone; use mkstemp or NamedTemporaryFile")


# --- jwt-verification-disabled --------------------------------------------------------------------


@register
class JwtVerificationDisabled(NodeDetector):
    """jwt.decode told not to check the signature, or to accept the "none" algorithm."""

    spec = spec(
        "jwt-verification-disabled",
        Severity.HIGH,
        "JWT signature not verified",
        "jwt.decode with verify=False, options={'verify_signature': False} or 'none' among the "
        "algorithms accepts forged tokens. Verify with an explicit list of expected algorithms.",
        "CWE-347",
        10,
    )
    node_types = (ast.Call,)
    call_names = frozenset({"decode", "decode_complete"})  # pre-filter: the only calls visit looks at

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        last = node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)
        if last not in ("decode", "decode_complete"):
            return
        name = ctx.qualified_name(node.func) or ""
        if not (name.startswith(("jwt.", "jose.", "authlib.jose.")) or ".jwt." in name):
            return
        if is_const(keyword(node, "verify"), False):
            self._report(ctx, node, "jwt.decode(verify=False) accepts unsigned and forged tokens")
            return
        options = keyword(node, "options")
        if isinstance(options, ast.Dict):
            for key, value in zip(options.keys, options.values, strict=True):
                if _str_value(key) == "verify_signature" and is_const(value, False):
                    self._report(ctx, node, "jwt.decode with verify_signature=False accepts forged tokens")
                    return
        algorithms = keyword(node, "algorithms")
        values = algorithms.elts if isinstance(algorithms, (ast.List, ast.Tuple, ast.Set)) else [algorithms]
        if any((_str_value(v) or "").lower() == "none" for v in values if v is not None):
            self._report(ctx, node, "jwt.decode accepts the 'none' algorithm, i.e. unsigned tokens")

    def _report(self, ctx: FileContext, node: ast.AST, message: str) -> None:
        """Unconditionally: a vulnerability; on an option (``if not verify:``): a hotspot."""
        guarded = option_guard(ctx) is not None
        ctx.report(
            self.spec,
            node,
            message,
            confidence=GUARDED_CONFIDENCE if guarded else 0.9,
            kind=Kind.HOTSPOT if guarded else Kind.VULNERABILITY,
        )


# --- bind-all-interfaces --------------------------------------------------------------------------

_ALL_INTERFACES = frozenset({"0.0.0.0", "::"})
_HOST_NAME = re.compile(r"^(host|hostname|bind|bind_address|address|addr|listen|listen_address|ip|interface)$", re.IGNORECASE)


@register
class BindAllInterfaces(NodeDetector):
    """A server socket bound to every network interface."""

    spec = spec(
        "bind-all-interfaces",
        Severity.MEDIUM,
        "Binding to all interfaces",
        "Binding to 0.0.0.0 (or ::) exposes the service on every network the host is connected "
        "to. Bind to 127.0.0.1 or a configured address.",
        "CWE-605",
        5,
    )
    node_types = (ast.Call, ast.Assign)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Assign):
            if _str_value(node.value) in _ALL_INTERFACES and any(
                _HOST_NAME.search(target_name(t)) or target_name(t).upper().endswith(("_HOST", "_BIND")) for t in node.targets
            ):
                ctx.report(self.spec, node, f"{_str_value(node.value)} binds every interface", confidence=0.7)
            return
        assert isinstance(node, ast.Call)
        for kw in node.keywords:
            if kw.arg and _HOST_NAME.search(kw.arg) and _str_value(kw.value) in _ALL_INTERFACES:
                ctx.report(self.spec, node, f"{kw.arg}={_str_value(kw.value)!r} binds every interface", confidence=0.8)
                return
        last = node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)
        for arg in node.args:
            if isinstance(arg, ast.Tuple) and arg.elts and _str_value(arg.elts[0]) in _ALL_INTERFACES:
                ctx.report(self.spec, node, f"address {_str_value(arg.elts[0])!r} binds every interface", confidence=0.8)
                return
            if last == "run" and _str_value(arg) in _ALL_INTERFACES:
                ctx.report(self.spec, node, f"{_str_value(arg)!r} binds every interface", confidence=0.8)
                return


# --- csrf-exempt ----------------------------------------------------------------------------------


_CSRF_CALLS = frozenset({"csrf_exempt", "exempt", "method_decorator"})


def _is_csrf_exempt(node: ast.AST, ctx: FileContext) -> bool:
    name = ctx.qualified_name(node) or ""
    return name.endswith("csrf_exempt") or (
        isinstance(node, ast.Attribute) and node.attr == "exempt" and "csrf" in (dotted(node.value) or "").lower()
    )


@register
class CsrfExempt(NodeDetector):
    """Views taken out of CSRF protection (Django csrf_exempt, Flask-WTF csrf.exempt)."""

    spec = spec(
        "csrf-exempt",
        Severity.MEDIUM,
        "CSRF protection disabled",
        "csrf_exempt / csrf.exempt (or WTF_CSRF_ENABLED = False) lets other sites submit "
        "state-changing requests with the user's cookies. Keep CSRF on for cookie-authenticated "
        "views; exempt only endpoints authenticated otherwise (signed webhooks, token APIs).",
        "CWE-352",
        10,
    )
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Call, ast.Assign)
    call_names = _CSRF_CALLS  # pre-filter: the only calls visit looks at

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if ctx.is_test:
            return
        if isinstance(node, ast.Call):
            if (node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)) not in _CSRF_CALLS:
                return
            if _is_csrf_exempt(node.func, ctx) and node.args:
                ctx.report(self.spec, node, "view wrapped with a CSRF exemption")
            elif (
                (node.func.attr if node.func.__class__ is ast.Attribute else call_terminal(node.func, ctx)) == "method_decorator"
                and node.args
                and _is_csrf_exempt(node.args[0], ctx)
            ):
                ctx.report(self.spec, node, "class-based view exempted from CSRF protection")
            return
        if isinstance(node, ast.Assign):
            if is_const(node.value, False) and any(target_name(t) == "WTF_CSRF_ENABLED" for t in node.targets):
                ctx.report(self.spec, node, "Flask-WTF CSRF protection switched off")
            return
        for decorator in node.decorator_list:  # type: ignore[attr-defined]
            if not isinstance(decorator, ast.Call) and _is_csrf_exempt(decorator, ctx):
                ctx.report(self.spec, decorator, f"{node.name} is exempt from CSRF protection", code=ctx.segment(decorator, 1))  # type: ignore[attr-defined]
                return
