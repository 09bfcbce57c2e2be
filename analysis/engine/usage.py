"""What a risky call or setting is *for*, read from the code around it.

Pattern detectors (weak hashes, ``random``, TLS or JWT verification switched off, debug mode)
are right about the API and often wrong about the intent: ``md5`` of a cache key, ``random`` for
retry jitter, ``CERT_NONE`` inside ``if not verify_certs:``. These helpers look at the names the
value flows into and comes from, and at the branch the code sits in:

* ``usage_names`` — the names a call's value is bound to or passed as (assignment targets,
  keyword names, the receiving call's parameter), the names of its arguments, the attribute read
  from its result, and the enclosing function;
* ``purpose`` — "security" when those names speak of passwords, tokens, secrets, keys, nonces or
  sessions, "benign" when they speak of caches, ETags, checksums, jitter or delays, else None;
* ``option_guard`` — the innermost ``if``/``while`` whose test reads an option (a parameter of the
  enclosing function, an attribute of ``self``/``options``/``args``/``settings``, the environment,
  or a name such as ``verify``/``insecure``/``debug``): a setting made there is opted into.
"""

from __future__ import annotations

import ast
import re

from analysis.engine.context import FileContext
from analysis.engine.visitor import dotted_name

# Matched against the words of a name (``_tokenize`` is not about tokens, ``csrf_token`` is).
SECURITY_WORDS = re.compile(
    r"\b(passw\w*|passphrase|pwd|secrets?|tokens?|nonces?|sessions?|otp|api ?keys?|private ?keys?|signing ?keys?|"
    r"encryption ?keys?|secret ?keys?|auth|authn|authz|authenticat\w*|authoriz\w*|credentials?|csrf|xsrf|salt\w*|"
    r"signatures?|sign|signed|signer|hmac|cipher\w*|\w*crypt\w*|reset ?codes?|activation|invites?|"
    r"verification ?codes?|pin ?codes?|pin)\b",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words(name: str) -> str:
    """``resetPasswordToken`` / ``reset_password_token`` -> ``reset password token``."""
    return _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ").replace(".", " ").lower()


BENIGN_WORDS = re.compile(
    r"(cache|etag|e_tag|checksum|digest_size|block_size|fingerprint|dedup|shard|bucket|partition|"
    r"jitter|delay|backoff|retry|sleep|timeout|interval|sample|shuffle|colou?r|avatar|gravatar|"
    r"content_?hash|file_?hash|md5sum|sha1sum|etag|version|lock_?id|lock_?key|cache_?key|"
    r"weight|probability|noise|seed_for_test|choice_of|pick|placeholder|example|dummy|fake|"
    r"test_?data|filename|file_?name|temp|tmp|uuid|request_?id|trace|span|port|id_for|short_?id|"
    r"legacy|compat|git|commit|object_?id|blob|chunk|integrity|hash_?key)",
    re.IGNORECASE,
)
OPTION_WORDS = re.compile(
    r"(verify|validate|insecure|unsafe|ssl|tls|cert|debug|check|strict|allow|skip|disable|no_|"
    r"ignore|trust|dev|development|local|testing|options?|opts|config|settings|flags?)",
    re.IGNORECASE,
)
_OPTION_ROOTS = frozenset({"self", "cls", "options", "opts", "args", "kwargs", "config", "conf", "settings", "params", "flags"})
_LOOP_OR_BRANCH = (ast.If, ast.While, ast.IfExp)


def _names_in(node: ast.AST) -> list[str]:
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            out.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 40:
            out.append(sub.value)
    return out


def _target_names(node: ast.AST) -> list[str]:
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        targets = [node.target]
    names = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
            elif isinstance(sub, ast.Attribute):
                names.append(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                names.append(sub.value)
    return names


def usage_names(node: ast.Call, ctx: FileContext, *, include_arguments: bool = True) -> list[str]:
    """Names around a call that say what its value is for (see the module docstring)."""
    names: list[str] = []
    if include_arguments:
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            names += _names_in(arg)
    child: ast.AST = node
    for parent in reversed(ctx.parents):
        if isinstance(parent, ast.Attribute) and parent.value is child:
            names.append(parent.attr)  # md5(x).hexdigest() says nothing; sha1().digest_size does
        elif isinstance(parent, ast.keyword) and parent.arg:
            names.append(parent.arg)
        elif isinstance(parent, ast.Call) and child is not parent.func:
            names.append(dotted_name(parent.func) or "")
        elif isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            names += _target_names(parent)
            break
        elif isinstance(parent, (ast.Return, ast.Dict)):
            if isinstance(parent, ast.Dict):
                names += [k.value for k in parent.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            continue
        elif isinstance(parent, (ast.stmt, ast.Lambda)):
            break
        child = parent
    if ctx.function is not None:
        names.append(ctx.function.name)
    return [n for n in names if n]


def purpose(names: list[str]) -> str | None:
    """ "benign" when a name speaks of a non-security use, else "security" when one speaks of a
    secret, else None. Benign wins: ``password_cache_key`` is a cache key."""
    if any(BENIGN_WORDS.search(n) for n in names):
        return "benign"
    if any(SECURITY_WORDS.search(words(n)) for n in names):
        return "security"
    return None


def _is_option(test: ast.AST, params: set[str]) -> bool:
    for sub in ast.walk(test):
        if isinstance(sub, ast.Name) and (sub.id in params or OPTION_WORDS.search(sub.id)):
            return True
        if isinstance(sub, ast.Attribute):
            root = sub
            while isinstance(root, ast.Attribute):
                root = root.value  # type: ignore[assignment]
            if isinstance(root, ast.Name) and (root.id in _OPTION_ROOTS or root.id in params):
                return True
            if OPTION_WORDS.search(sub.attr) or sub.attr in ("environ", "getenv"):
                return True
        if isinstance(sub, ast.Call):
            name = dotted_name(sub.func) or ""
            if name.endswith(("getenv", "environ.get", ".get")) and OPTION_WORDS.search(ast.unparse(sub)):
                return True
    return False


def option_guard(ctx: FileContext) -> ast.AST | None:
    """The innermost enclosing branch on an option, within the current function (or module)."""
    fn = ctx.function
    params: set[str] = set()
    if fn is not None:
        args = fn.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a is not None}
        params.discard("self")
        params.discard("cls")
    for parent in reversed(ctx.parents):
        if parent is fn:
            break
        if isinstance(parent, _LOOP_OR_BRANCH) and _is_option(parent.test, params):
            return parent
    return None


def enclosing_block(ctx: FileContext) -> ast.AST | None:
    """The innermost enclosing statement that holds a body (function, branch, loop, with, try)."""
    for parent in reversed(ctx.parents):
        if hasattr(parent, "body") and isinstance(parent, (ast.stmt, ast.Module)):
            return parent
    return None
