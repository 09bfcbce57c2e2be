"""Rule-based fixers: deterministic libcst rewrites for findings of the engine's detectors."""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from fixes.fixers.base import (
    FindingRef,
    Fixer,
    Replace,
    RuleFix,
    ensure_import,
    is_docstring,
    locate,
    parse,
    positions,
    register,
    remove_args,
    replace,
)


@register
class UnusedImportFixer(Fixer):
    """Remove the unused name from its import statement (the whole statement when it was the only one)."""

    id = "unused-import"
    detectors = frozenset({"unused-import"})
    title = "Remove unused import"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        bound = finding.metadata.get("name")
        if not bound or bound == "*":
            return None
        wrapper, module = parse(source)
        lines = {id(n): r for n, r in positions(wrapper, (cst.SimpleStatementLine,))}
        for node in locate(wrapper, source, finding, (cst.Import, cst.ImportFrom)):
            assert isinstance(node, (cst.Import, cst.ImportFrom))
            if isinstance(node.names, cst.ImportStar):
                return None
            names = list(node.names)
            drop = {i for i, alias in enumerate(names) if _bound_name(module, alias) == bound}
            if not drop:
                continue
            if len(drop) == len(names):
                stmt = next(
                    (s for s in _statements(module) if any(small is node for small in s.body) and id(s) in lines),
                    None,
                )
                if stmt is None:
                    return None
                if len(stmt.body) == 1:
                    code = module.visit(_RemoveStatement(stmt)).code
                else:
                    code = replace(module, {id(node): cst.RemovalSentinel.REMOVE})
                return self.result(finding, code, f"'{bound}' is imported but never used.", 1.0)
            kept = [a for i, a in enumerate(names) if i not in drop]
            if (len(names) - 1) in drop:
                kept[-1] = kept[-1].with_changes(comma=names[-1].comma)
            new_node = node.with_changes(names=kept)
            if isinstance(node, cst.ImportFrom) and node.lpar is not None and len(kept) == 1 and not _multiline(module, node):
                new_node = new_node.with_changes(lpar=None, rpar=None)
            return self.result(finding, replace(module, {id(node): new_node}), f"'{bound}' is imported but never used.", 1.0)
        return None


class _RemoveStatement(cst.CSTTransformer):
    """Remove a statement; the blank lines and comments above it stay, on the next statement."""

    def __init__(self, target: cst.CSTNode) -> None:
        self.target = target

    def _block(self, original: Any, updated: Any) -> Any:
        if not any(s is self.target for s in original.body):
            return updated
        body = list(updated.body)
        index = next(i for i, s in enumerate(original.body) if s is self.target)
        removed = body.pop(index)
        if index < len(body) and hasattr(body[index], "leading_lines"):
            body[index] = body[index].with_changes(leading_lines=[*removed.leading_lines, *body[index].leading_lines])
        return updated.with_changes(body=body)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return self._block(original, updated)

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return self._block(original, updated)


def _statements(module: cst.Module) -> list[cst.SimpleStatementLine]:
    found: list[cst.SimpleStatementLine] = []

    class V(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            found.append(node)

    module.visit(V())
    return found


def _multiline(module: cst.Module, node: cst.CSTNode) -> bool:
    return "\n" in module.code_for_node(node)


def _bound_name(module: cst.Module, alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    full = module.code_for_node(alias.name)
    return full.split(".", 1)[0]


@register
class MutableDefaultFixer(Fixer):
    """``def f(x=[])`` → ``def f(x=None)`` and ``if x is None: x = []`` at the top of the body."""

    id = "mutable-default-argument"
    detectors = frozenset({"mutable-default-argument"})
    title = "Replace mutable default argument with None"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        parameter = finding.metadata.get("parameter")
        if not parameter:
            return None
        wrapper, module = parse(source)
        future_annotations = "from __future__ import annotations" in source
        candidates = []
        for func, frange in positions(wrapper, (cst.FunctionDef,)):
            assert isinstance(func, cst.FunctionDef)
            if not (frange.start.line <= finding.line <= frange.end.line):
                continue
            all_params = [*func.params.posonly_params, *func.params.params, *func.params.kwonly_params]
            param = next((p for p in all_params if p.name.value == parameter and p.default is not None), None)
            if param is not None:
                candidates.append((frange.end.line - frange.start.line, func, param))
        # the innermost function holding the line declares the parameter
        for _, func, param in sorted(candidates, key=lambda c: c[0])[:1]:
            if not isinstance(func.body, cst.IndentedBlock):
                return None
            assert param.default is not None
            default_code = module.code_for_node(param.default)
            new_param = param.with_changes(default=cst.Name("None"))
            if param.annotation is not None:
                ann = module.code_for_node(param.annotation.annotation)
                if future_annotations and "None" not in ann and "Optional" not in ann:
                    new_param = new_param.with_changes(
                        annotation=param.annotation.with_changes(annotation=cst.parse_expression(f"{ann} | None"))
                    )
            guard = cst.parse_statement(f"if {parameter} is None:\n    {parameter} = {default_code}\n")
            body = list(func.body.body)
            at = 1 if body and is_docstring(body[0]) else 0
            body.insert(at, guard)
            new_func: Any = func.with_changes(body=func.body.with_changes(body=body))
            new_func = new_func.visit(Replace({id(param): new_param}))
            explanation = (
                f"The default of '{parameter}' ({default_code}) is created once and shared between calls; "
                f"it is now None and a fresh value is created on each call."
            )
            return self.result(finding, replace(module, {id(func): new_func}), explanation, 0.9)
        return None


@register
class ComparisonToSingletonFixer(Fixer):
    """``x == None`` → ``x is None``; ``!=`` → ``is not`` (also for True/False, with less confidence)."""

    id = "comparison-to-singleton"
    detectors = frozenset({"comparison-to-singleton"})
    title = "Compare to None/True/False with 'is'"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        wrapper, module = parse(source)
        for node in locate(wrapper, source, finding, (cst.Comparison,)):
            assert isinstance(node, cst.Comparison)
            targets = list(node.comparisons)
            left: cst.BaseExpression = node.left
            changed = False
            only_none = True
            for i, target in enumerate(targets):
                right = target.comparator
                if isinstance(target.operator, (cst.Equal, cst.NotEqual)) and (_singleton(left) or _singleton(right)):
                    value = _singleton(left) or _singleton(right)
                    only_none = only_none and value == "None"
                    op = target.operator
                    if isinstance(op, cst.Equal):
                        new_op: cst.BaseCompOp = cst.Is(
                            whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after
                        )
                    else:
                        new_op = cst.IsNot(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
                    targets[i] = target.with_changes(operator=new_op)
                    changed = True
                left = right
            if changed:
                confidence = 0.95 if only_none else 0.6
                explanation = (
                    "'==' and '!=' call __eq__, which a class may override; identity ('is') is the reliable test "
                    "for None" + ("." if only_none else ". For True/False check that the value is really a bool.")
                )
                return self.result(
                    finding, replace(module, {id(node): node.with_changes(comparisons=targets)}), explanation, confidence
                )
        return None


def _singleton(node: cst.BaseExpression) -> str | None:
    return node.value if isinstance(node, cst.Name) and node.value in ("None", "True", "False") else None


@register
class BareExceptFixer(Fixer):
    """``except:`` → ``except Exception:``; a swallowed handler also logs what it ignores."""

    id = "bare-except"
    detectors = frozenset({"bare-or-swallowed-except"})
    title = "Catch Exception instead of everything"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        wrapper, module = parse(source)
        for node in locate(wrapper, source, finding, (cst.ExceptHandler,)):
            assert isinstance(node, cst.ExceptHandler)
            new = node
            if node.type is None:
                new = new.with_changes(type=cst.Name("Exception"), whitespace_after_except=cst.SimpleWhitespace(" "))
            swallowed = _only_pass(node.body)
            if not swallowed and node.type is not None:
                return None
            if swallowed:
                if not isinstance(node.body, cst.IndentedBlock):
                    return None
                log = cst.parse_statement('logging.getLogger(__name__).debug("Ignored exception", exc_info=True)\n')
                body = [log if _is_pass_line(s) else s for s in node.body.body]
                new = new.with_changes(body=node.body.with_changes(body=body))
            code = replace(module, {id(node): new})
            if swallowed:
                code = ensure_import(cst.parse_module(code), "logging").code
            explanation = "A bare 'except:' also catches SystemExit and KeyboardInterrupt; it now catches Exception"
            explanation += " and logs the ignored error at debug level." if swallowed else "."
            return self.result(finding, code, explanation, 0.8 if swallowed else 0.9)
        return None


def _is_pass_line(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and (
            isinstance(stmt.body[0], cst.Pass)
            or (isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.Ellipsis))
        )
    )


def _only_pass(body: cst.BaseSuite) -> bool:
    if isinstance(body, cst.IndentedBlock):
        return all(_is_pass_line(s) for s in body.body)
    if isinstance(body, cst.SimpleStatementSuite):
        return all(isinstance(s, cst.Pass) for s in body.body)
    return False


_TLS_OFF = {"verify", "ssl", "verify_ssl", "check_hostname", "assert_hostname"}


@register
class InsecureTlsFixer(Fixer):
    """Drop ``verify=False`` (and the like) so the library's default, verification, applies."""

    id = "insecure-tls"
    detectors = frozenset({"insecure-tls"})
    title = "Turn TLS verification back on"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        wrapper, module = parse(source)
        for node in locate(wrapper, source, finding, (cst.Call,)):
            assert isinstance(node, cst.Call)
            drop = {
                i
                for i, arg in enumerate(node.args)
                if arg.keyword is not None
                and (
                    (arg.keyword.value in _TLS_OFF and isinstance(arg.value, cst.Name) and arg.value.value == "False")
                    or (arg.keyword.value in ("cert_reqs", "verify_mode") and "CERT_NONE" in module.code_for_node(arg.value))
                )
            }
            if not drop:
                continue
            removed = ", ".join(module.code_for_node(node.args[i]).rstrip(", \n") for i in sorted(drop))
            new = node.with_changes(args=remove_args(node.args, drop))
            explanation = f"Removed {removed}: certificate and host name verification stay on (the library default)."
            return self.result(finding, replace(module, {id(node): new}), explanation, 0.85)
        return None


@register
class YamlSafeLoadFixer(Fixer):
    """``yaml.load(data, Loader=...)`` → ``yaml.safe_load(data)``."""

    id = "yaml-safe-load"
    detectors = frozenset({"unsafe-deserialization"})
    title = "Load YAML with safe_load"
    _SAFE = {"load": "safe_load", "load_all": "safe_load_all", "unsafe_load": "safe_load", "unsafe_load_all": "safe_load_all"}

    def applies_to(self, finding: FindingRef) -> bool:
        sink = str(finding.metadata.get("sink", ""))
        return super().applies_to(finding) and (not sink or sink.startswith("yaml."))

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        wrapper, module = parse(source)
        for node in locate(wrapper, source, finding, (cst.Call,)):
            assert isinstance(node, cst.Call)
            func = node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in self._SAFE):
                continue
            if "yaml" not in module.code_for_node(func.value).lower():
                continue
            drop = {i for i, a in enumerate(node.args) if (a.keyword is not None and a.keyword.value == "Loader")}
            positional = [i for i, a in enumerate(node.args) if a.keyword is None and not a.star]
            if len(positional) > 1:
                drop.add(positional[1])
            new_name = self._SAFE[func.attr.value]
            new = node.with_changes(func=func.with_changes(attr=cst.Name(new_name)), args=remove_args(node.args, drop))
            explanation = f"yaml.{func.attr.value} can build arbitrary Python objects; yaml.{new_name} only builds plain data."
            return self.result(finding, replace(module, {id(node): new}), explanation, 0.9)
        return None


@register
class InsecureTempfileFixer(Fixer):
    """``name = tempfile.mktemp(...)`` → ``fd, name = tempfile.mkstemp(...)`` + ``os.close(fd)``;
    elsewhere ``tempfile.NamedTemporaryFile(delete=False, ...).name``."""

    id = "insecure-tempfile"
    detectors = frozenset({"insecure-tempfile"})
    title = "Create the temporary file atomically"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        wrapper, module = parse(source)
        calls = [n for n in locate(wrapper, source, finding, (cst.Call,)) if isinstance(n, cst.Call) and _is_mktemp(module, n)]
        if not calls:
            return None
        call = calls[0]
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        for stmt, _ in positions(wrapper, (cst.SimpleStatementLine,)):
            assert isinstance(stmt, cst.SimpleStatementLine)
            if len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Assign):
                continue
            assign = stmt.body[0]
            if assign.value is not call or len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
                continue
            name = assign.targets[0].target.value
            fd = _free_name(source, "fd")
            mod = module.code_for_node(call.func.value)
            args = module.code_for_node(call).split("(", 1)[1]
            new_lines = cst.parse_module(f"{fd}, {name} = {mod}.mkstemp({args}\nos.close({fd})\n").body
            first = new_lines[0].with_changes(leading_lines=stmt.leading_lines, trailing_whitespace=stmt.trailing_whitespace)
            code = module.visit(_ReplaceStatement(stmt, [first, new_lines[1]])).code
            code = ensure_import(cst.parse_module(code), "os").code
            explanation = (
                "mktemp() only returns a name, which another process can create first; mkstemp() creates the "
                "file atomically (the descriptor is closed at once, the path stays usable)."
            )
            return self.result(finding, code, explanation, 0.8)
        keywords = ["suffix", "prefix", "dir"]
        new_args = [cst.Arg(keyword=cst.Name("delete"), value=cst.Name("False"), equal=_eq())]
        for i, arg in enumerate(call.args):
            if arg.star:
                return None
            if arg.keyword is None:
                if i >= len(keywords):
                    return None
                arg = arg.with_changes(keyword=cst.Name(keywords[i]), equal=_eq())
            new_args.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        new_call = call.with_changes(func=call.func.with_changes(attr=cst.Name("NamedTemporaryFile")), args=new_args)
        new_expr = cst.Attribute(value=new_call, attr=cst.Name("name"))
        explanation = (
            "mktemp() only returns a name, which another process can create first; NamedTemporaryFile creates it atomically."
        )
        return self.result(finding, replace(module, {id(call): new_expr}), explanation, 0.7)


def _eq() -> cst.AssignEqual:
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _is_mktemp(module: cst.Module, node: cst.Call) -> bool:
    return (
        isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "mktemp"
        and "tempfile" in module.code_for_node(node.func.value)
    )


def _free_name(source: str, base: str) -> str:
    name = base
    n = 0
    while re.search(rf"\b{name}\b", source):
        n += 1
        name = f"{base}{n}"
    return name


class _ReplaceStatement(cst.CSTTransformer):
    def __init__(self, target: cst.CSTNode, new: list[cst.BaseStatement]) -> None:
        self.target = target
        self.new = new

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if original_node is self.target:
            return cst.FlattenSentinel(self.new)
        return updated_node


_SECURITY_CONTEXT = re.compile(
    r"passw|secret|token|auth|sign|salt|hmac|credential|api_?key|nonce|session|encrypt|decrypt|cipher|verif", re.I
)


@register
class WeakHashNotForSecurityFixer(Fixer):
    """``hashlib.md5(data)`` used for a checksum/cache key → ``hashlib.md5(data, usedforsecurity=False)``.
    Declines when the surrounding code looks security related (passwords, tokens, signatures...)."""

    id = "weak-crypto-not-for-security"
    detectors = frozenset({"weak-crypto"})
    title = "Mark a non-security hash usedforsecurity=False"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        wrapper, module = parse(source)
        for node in locate(wrapper, source, finding, (cst.Call,)):
            assert isinstance(node, cst.Call)
            func = module.code_for_node(node.func)
            last = func.rsplit(".", 1)[-1]
            if last.lower() not in ("md5", "sha1", "new") or (func.count(".") and not func.startswith("hashlib.")):
                continue
            if any(a.keyword is not None and a.keyword.value == "usedforsecurity" for a in node.args):
                return None
            if _SECURITY_CONTEXT.search(_enclosing_text(wrapper, module, finding.line) + " " + finding.symbol):
                return None
            args = list(node.args)
            if args:
                args[-1] = args[-1].with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    if args[-1].comma == cst.MaybeSentinel.DEFAULT
                    else args[-1].comma
                )
            args.append(cst.Arg(keyword=cst.Name("usedforsecurity"), value=cst.Name("False"), equal=_eq()))
            new = node.with_changes(args=args)
            explanation = (
                f"{last} is used here for a checksum or a key, not for security (nothing around it handles "
                "passwords, tokens or signatures); usedforsecurity=False says so and keeps it working on FIPS systems."
            )
            return self.result(finding, replace(module, {id(node): new}), explanation, 0.6)
        return None


def _enclosing_text(wrapper: Any, module: cst.Module, line: int) -> str:
    best: tuple[int, str] | None = None
    for func, r in positions(wrapper, (cst.FunctionDef,)):
        if r.start.line <= line <= r.end.line:
            size = r.end.line - r.start.line
            if best is None or size < best[0]:
                best = (size, module.code_for_node(func))
    if best is not None:
        return best[1]
    lines = module.code.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


@register
class StringConcatToJoinFixer(Fixer):
    """``s = ""`` + ``for ...: s += part`` → collect the parts in a list and join them once.

    Only when safe: the string is initialised with a literal in the same block just before the
    loop (nothing reads it in between), and inside the loop it is only ever appended to."""

    id = "string-concat-to-join"
    detectors = frozenset({"string-concat-in-loop"})
    title = "Build the string with a list and join"

    def fix(self, source: str, finding: FindingRef) -> RuleFix | None:
        var = finding.metadata.get("variable")
        loop_line = finding.metadata.get("loop_line")
        if not var or not loop_line:
            return None
        wrapper, module = parse(source)
        loop = next(
            (n for n, r in positions(wrapper, (cst.For, cst.While)) if r.start.line == loop_line),
            None,
        )
        if loop is None:
            return None
        for block, _ in positions(wrapper, (cst.IndentedBlock, cst.Module)):
            body = list(block.body)  # type: ignore[attr-defined]
            index = next((i for i, s in enumerate(body) if s is loop), None)
            if index is None:
                continue
            return self._rewrite(source, module, block, body, index, loop, var, finding)
        return None

    def _rewrite(
        self, source: str, module: cst.Module, block: Any, body: list[Any], index: int, loop: Any, var: str, finding: FindingRef
    ) -> RuleFix | None:
        init_index = None
        for i in range(index - 1, -1, -1):
            stmt = body[i]
            if _assigns_literal(stmt, var):
                init_index = i
                break
            if _mentions(stmt, var):
                return None
        if init_index is None:
            return None
        appends: dict[int, cst.BaseExpression] = {}

        class Collect(cst.CSTVisitor):
            def __init__(self) -> None:
                self.names = 0

            def visit_Name(self, node: cst.Name) -> None:
                if node.value == var:
                    self.names += 1

            def visit_AugAssign(self, node: cst.AugAssign) -> None:
                if isinstance(node.target, cst.Name) and node.target.value == var and isinstance(node.operator, cst.AddAssign):
                    appends[id(node)] = node.value

            def visit_Assign(self, node: cst.Assign) -> None:
                value = node.value
                if (
                    len(node.targets) == 1
                    and isinstance(node.targets[0].target, cst.Name)
                    and node.targets[0].target.value == var
                    and isinstance(value, cst.BinaryOperation)
                    and isinstance(value.operator, cst.Add)
                    and isinstance(value.left, cst.Name)
                    and value.left.value == var
                    and not value.lpar
                ):
                    appends[id(node)] = value.right

        collect = Collect()
        loop.visit(collect)
        # every mention of the variable in the loop must be one of the appends (target, or left
        # operand of `s = s + x`): anything else reads the partial string
        expected = sum(1 if isinstance(v, cst.CSTNode) else 0 for v in appends.values())
        assigns = sum(1 for k in appends if not _is_aug(loop, k))
        if not appends or collect.names != expected + assigns:
            return None
        parts = _free_name(source, f"{var}_parts")
        init_stmt: Any = body[init_index]
        init_value = init_stmt.body[0].value
        literal = module.code_for_node(init_value)
        empty = _empty_literal(init_value)
        joiner = (literal if empty else ('b""' if literal.lstrip("rR").startswith(("b", "B")) else '""')) + f".join({parts})"

        class Rewrite(cst.CSTTransformer):
            def leave_AugAssign(self, original: cst.AugAssign, updated: cst.AugAssign) -> Any:
                if id(original) in appends:
                    return _append_call(parts, updated.value)
                return updated

            def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> Any:
                if id(original) in appends:
                    return _append_call(parts, updated.value.right)  # type: ignore[attr-defined]
                return updated

        new_loop = loop.visit(Rewrite())
        parts_init: Any = cst.parse_statement(f"{parts} = []\n")
        new_init = init_stmt.with_changes(body=[parts_init.body[0]])
        join_stmt = cst.parse_statement(f"{var} = {joiner}\n" if empty else f"{var} = {literal} + {joiner}\n")
        new_body = [*body[:init_index], new_init, *body[init_index + 1 : index], new_loop, join_stmt, *body[index + 1 :]]
        code = replace(module, {id(block): block.with_changes(body=new_body)})
        explanation = (
            f"'{var}' grew by concatenation in each iteration (the whole string is copied every time); the parts "
            f"are now collected in '{parts}' and joined once after the loop."
        )
        return self.result(finding, code, explanation, 0.85)


def _is_aug(loop: cst.CSTNode, node_id: int) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            nonlocal found
            if id(node) == node_id:
                found = True

    loop.visit(V())
    return found


def _append_call(parts: str, value: cst.BaseExpression) -> cst.Expr:
    return cst.Expr(cst.Call(func=cst.Attribute(value=cst.Name(parts), attr=cst.Name("append")), args=[cst.Arg(value=value)]))


def _assigns_literal(stmt: Any, var: str) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Assign):
        return False
    assign = stmt.body[0]
    return (
        len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and assign.targets[0].target.value == var
        and isinstance(assign.value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _empty_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value in ("", b"")


def _mentions(stmt: cst.CSTNode, var: str) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            if node.value == var:
                found = True

    stmt.visit(V())
    return found
