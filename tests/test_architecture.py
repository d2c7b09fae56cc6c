"""The package's shape: each SMTP fact written once, no import cycle, small modules, layers as documented.

These read the source files (with `ast`), so they fail on the commit that breaks the rule,
naming the file and line.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "smtplearn"
GRAMMAR = PACKAGE / "protocol" / "grammar.py"

# The server is being switched over to the core's facts separately (issue 11, server part).
NOT_YET_SWITCHED = ("server",)


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _outside_server() -> Iterator[tuple[str, Path]]:
    for name, path in _modules():
        if name.split(".")[1:2] != ["server"]:
            yield name, path


# -- each lexical fact lives in grammar.py --------------------------------------------------

# What restating a fact looks like in source: a use or a copy of the pattern itself.
RESTATEMENTS = {
    "the CRAM-MD5 HMAC": re.compile(r"\bhmac\.(new|HMAC)\("),
    "a base64 encoder or decoder for AUTH": re.compile(r"\bbase64\.b64(en|de)code\("),
    "the control-character class": re.compile(r"\\x00-\\x1f|\\x00-\\x08|\[\\x00"),
    "the enhanced status code pattern": re.compile(r"\[245\]\\\\?\.|\(\[245\]\)"),
    "the reply-line pattern": re.compile(r"\^\(\\d\{3\}\)"),
    "the redaction marker": re.compile(r"\"<redacted>\""),
    "a command line limit": re.compile(r"=\s*(512|12288|8192)\b"),
}
# Where a fact may legitimately appear besides grammar.py, and why.
ALLOWED = {
    # Base64 forms of a secret at each offset: a redaction technique, not AUTH's encoding.
    ("smtplearn.protocol.redaction", "a base64 encoder or decoder for AUTH"),
    # An exercise's model answer: learners decode PLAIN themselves.
    ("smtplearn.exercises.security", "a base64 encoder or decoder for AUTH"),
    # What a terminal must not receive raw is a wider set than what an argument may hold:
    # C1 controls and invisible or direction-changing characters too (display, not grammar).
    ("smtplearn.protocol.visible", "the control-character class"),
    # A DKIM public key in a DNS TXT record (RFC 6376 §3.6.1 p=), not AUTH's base64.
    ("smtplearn.world.authcheck", "a base64 encoder or decoder for AUTH"),
}


def _restatements() -> list[str]:
    found = []
    for name, path in _modules():
        if path == GRAMMAR:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for fact, pattern in RESTATEMENTS.items():
                if pattern.search(line) and (name, fact) not in ALLOWED:
                    found.append(f"{path.relative_to(ROOT)}:{number} restates {fact}: {line.strip()}")
    return found


def test_no_module_restates_a_grammar_fact() -> None:
    # The server included: it judges what it receives with the client's own rules.
    assert _restatements() == []


def test_the_restatement_check_sees_a_copy(tmp_path: Path) -> None:
    # The check itself must be able to fail: each pattern matches the copy it is meant to catch.
    copies = {
        "the CRAM-MD5 HMAC": 'digest = hmac.HMAC(password.encode("ascii"), challenge, "md5")',
        "a base64 encoder or decoder for AUTH": "return base64.b64encode(text.encode())",
        "the control-character class": '_CONTROL = re.compile(r"[\\x00-\\x1f\\x7f]")',
        "the enhanced status code pattern": '_ENHANCED = re.compile(r"^([245])\\.(\\d{1,3})")',
        "the reply-line pattern": '_REPLY_LINE = re.compile(r"^(\\d{3})(?:[ -](.*))?$")',
        "the redaction marker": 'REDACTED = "<redacted>"',
        "a command line limit": "MAX_LINE = 512",
    }
    assert set(copies) == set(RESTATEMENTS)
    for fact, copy in copies.items():
        assert RESTATEMENTS[fact].search(copy), fact


def test_grammar_holds_each_fact() -> None:
    text = GRAMMAR.read_text(encoding="utf-8")
    for fact, pattern in RESTATEMENTS.items():
        if fact != "a base64 encoder or decoder for AUTH":
            assert pattern.search(text), f"grammar.py should define {fact}"


# -- no import cycle -----------------------------------------------------------------------


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module loads: not in functions, not under TYPE_CHECKING."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node):
                pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports at load time (``from pkg import mod`` counts mod)."""
    names = {name for name, _ in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in _module_level_imports(tree):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name in names}
                continue
            source = _resolve(name, path, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in names:
                    targets.add(f"{source}.{alias.name}")
                elif source in names:
                    targets.add(source)
        # A package's own __init__ is loaded before its modules: importing it is not a dependency.
        graph[name] = {t for t in targets if t != name and not name.startswith(t + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [node, target]
            if target not in state:
                cycle = visit(target, [*path, target])
                if cycle:
                    return cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start, [start])
            if cycle:
                return cycle
    return None


def test_no_import_cycle_among_package_modules() -> None:
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def function_local_imports() -> set[tuple[str, str, str]]:
    """(module, function, imported module) for every package import inside a function body."""
    names = {name for name, _ in _modules()}
    found = set()
    for name, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module in names:
                    found.add((name, function.name, node.module))
    return found


def cycle_dodges() -> set[str]:
    """The function-local imports that would close an import cycle if moved to the top."""
    graph = import_graph()
    dodges = set()
    for module, function, imported in function_local_imports():
        with_edge = {key: set(targets) for key, targets in graph.items()}
        with_edge[module].add(imported)
        if find_cycle(with_edge) is not None:
            dodges.add(f"{module}.{function} imports {imported}")
    return dodges


# Function-local imports that would close an import cycle: none. Records are data and display
# attaches in one place (`smtplearn.render.attach`); a new dodge fails this test.
KNOWN_CYCLE_DODGES: set[str] = set()


def test_function_local_imports_that_dodge_cycles_are_the_known_ones() -> None:
    assert cycle_dodges() == KNOWN_CYCLE_DODGES


def test_records_import_nothing_from_render_or_explain() -> None:
    # Records are data: an import inside a method counts; only type hints (TYPE_CHECKING) may
    # name `Explanation`.
    tree = ast.parse((PACKAGE / "record.py").read_text(encoding="utf-8"))
    hints = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for child in ast.walk(node)
    }
    imported = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and id(node) not in hints
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and id(node) not in hints
        for alias in node.names
    ]
    assert [m for m in imported if m.startswith(("smtplearn.render", "smtplearn.explain"))] == []


_SHOWN_RIGHT_AFTER_IMPORT = """
{first_import}
from smtplearn.protocol.replies import Reply
from smtplearn.protocol.states import ClientState
from smtplearn.record import Exchange, Transcript

step = Step(
    name="NOOP",
    command="NOOP",
    exchanges=(
        Exchange(
            shown="NOOP", sent=b"NOOP\\r\\n", sent_redacted=b"NOOP\\r\\n", reply=Reply(250, ("2.0.0 OK",))
        ),
    ),
    state_before=ClientState.READY,
    state_after=ClientState.READY,
    elapsed=0.0,
    tls=False,
)
transcript = Transcript([step])
assert "NOOP" in str(step), str(step)
assert "NOOP" in step._repr_html_()
assert str(step.explain()).startswith("NOOP"), str(step.explain())
assert "NOOP" in step.explain()._repr_html_()
assert "NOOP" in transcript.debug_text()
assert transcript.sequence_diagram().startswith("<svg")
assert "NOOP" in transcript._repr_html_()
print("shown")
"""


@pytest.mark.parametrize(
    "first_import",
    ["from smtplearn import Client\nfrom smtplearn.record import Step", "from smtplearn.record import Step"],
)
def test_records_display_right_after_the_first_import(first_import: str) -> None:
    # A fresh interpreter: display must attach on the import itself, not on some later one.
    code = _SHOWN_RIGHT_AFTER_IMPORT.format(first_import=first_import)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "shown", result.stderr


# -- small modules -------------------------------------------------------------------------

MAX_LINES = 400

# Modules over the limit, each with its reason. Pure data is allowed; the others are work
# left, named so the list can only shrink.
OVER_THE_LIMIT = {
    "smtplearn.server.core": "~400 (406): DebugServer's settings and lifecycle, its docstring the manual",
}


def test_modules_over_400_lines_are_named_with_a_reason() -> None:
    over = {
        name for name, path in _modules() if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }
    assert over == set(OVER_THE_LIMIT)


# -- the layers of the README's "Architecture" section -----------------------------------

# layer -> the layers it may import at load time (the README says the same in words).
_CORE = {"grammar", "protocol"}
LAYERS = {
    "grammar": set(),
    "protocol": {"grammar"},
    "record": _CORE,
    "explain": _CORE | {"record"},
    "render": _CORE | {"record", "explain"},
    "transport": _CORE,
    "client": _CORE | {"record", "transport"},
    "compat": _CORE | {"record", "transport", "client", "render"},
    "server": _CORE,
    "world": _CORE | {"record", "explain", "render", "transport", "client", "server"},
    "lessons": _CORE | {"record", "explain", "render", "transport", "client", "compat", "server", "world"},
    "cli": _CORE
    | {"record", "explain", "render", "transport", "client", "compat", "server", "world", "lessons"},
}

# top-level module or package -> its layer
_LAYER_OF = {
    "protocol": "protocol",
    "record": "record",
    "explain": "explain",
    "render": "render",
    "transport": "transport",
    "session": "client",
    "client": "client",
    "sending": "client",
    "envelope": "client",
    "compat": "compat",
    "smtplib_reading": "compat",
    "server": "server",
    "world": "world",
    "lesson": "lessons",
    "exercises": "lessons",
    "widgets": "lessons",
    "notebook_files": "lessons",
    "cli": "cli",
    "demo": "cli",
}


def _layer(module: str) -> str | None:
    if module == "smtplearn.protocol.grammar":
        return "grammar"
    parts = module.split(".")
    return _LAYER_OF.get(parts[1]) if len(parts) > 1 else None


def test_every_module_has_a_layer() -> None:
    assert [name for name, _ in _modules() if name != "smtplearn" and _layer(name) is None] == []


def test_no_layer_imports_upward() -> None:
    upward = []
    for module, targets in import_graph().items():
        layer = _layer(module)
        if layer is None:
            continue
        for target in targets:
            target_layer = _layer(target)
            if target_layer not in (None, layer) and target_layer not in LAYERS[layer]:
                upward.append(f"{module} ({layer}) imports {target} ({target_layer})")
    assert upward == []


def test_the_readme_describes_each_layer() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    paths = {f"smtplearn/{top}" + ("/" if (PACKAGE / top).is_dir() else ".py") for top in _LAYER_OF}
    for path in sorted(paths | {"smtplearn/protocol/grammar.py"}):
        assert f"`{path}`" in section, path
        assert (ROOT / path).exists(), path


@pytest.mark.parametrize("module", ["smtplearn.compat", "smtplearn.client", "smtplearn"])
def test_public_names_still_import(module: str) -> None:
    imported = __import__(module, fromlist=["*"])
    expected = {
        "smtplearn.compat": ("SMTP", "SMTP_SSL", "SMTPException", "SMTPRecipientsRefused", "SMTP_PORT"),
        "smtplearn.client": ("Client", "SendError", "SendResult"),
        "smtplearn": ("Client", "SendError", "SendResult"),
    }[module]
    for name in expected:
        assert getattr(imported, name) is not None


# -- no module reaches into another's private names ---------------------------------------


def _owned_names(tree: ast.Module) -> set[str]:
    """A module's own names: functions, classes, class-body names, attributes set on `self`/`cls`."""
    owned: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            owned.add(node.name)
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                targets = statement.targets if isinstance(statement, ast.Assign) else []
                if isinstance(statement, ast.AnnAssign):
                    targets = [statement.target]
                owned |= {target.id for target in targets if isinstance(target, ast.Name)}
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            owned.add(node.attr)
    return owned


def _is_private(name: str) -> bool:
    # `_repr_html_` and its kin are Jupyter's display protocol, public despite the underscore.
    return name.startswith("_") and not name.startswith("__") and not name.endswith("_")


def private_reaches(source: str) -> list[tuple[int, str]]:
    """(line, name) for each private name `source` takes from something it does not own.

    ``world._hop(...)`` in a module that does not define `_hop` is one; so is
    ``from smtplearn.x import _helper``. A module's own names (``self._lock``, a helper
    class using its neighbour's ``_verdicts`` in the same file) are its business. Without
    types the check cannot tell two classes' same-named privates apart: a module that owns a
    `_lock` may read another object's `_lock` unseen.
    """
    tree = ast.parse(source)
    owned = _owned_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [(node.lineno, alias.name) for alias in node.names if _is_private(alias.name)]
        elif isinstance(node, ast.Attribute) and _is_private(node.attr) and node.attr not in owned:
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                continue  # a subclass using the private names of its base class
            if isinstance(receiver, ast.Call) and ast.unparse(receiver.func) == "super":
                continue
            found.append((node.lineno, node.attr))
    return found


# The reaches that stay, each with its reason; the list can only shrink. None in `world`: its
# hosts and relay report through `World.journal`, a public collaborator.
KNOWN_PRIVATE_REACHES = {
    # The one adapter for aiosmtpd's and asyncio's private names (tests/server/test_aiosmtpd_adapter.py).
    ("smtplearn.server.aiosmtpd_adapter", "_buffer"): "asyncio StreamReader's buffer",
    # Package-internal friends: the server's records are written only by the session machinery.
    ("smtplearn.server.handler", "_append"): "Mailbox: only a finished DATA adds a message",
    ("smtplearn.server.protocol", "_open"): "SessionLog: a connection opens a session",
    ("smtplearn.server.protocol", "_add"): "Session: the protocol records each line",
    ("smtplearn.server.protocol", "_close"): "Session: the protocol closes it",
    ("smtplearn.server.striptls", "_track"): "LoopbackProxy: the relay tracks the TLS socket it made",
    ("smtplearn.server.striptls", "_lock"): "LoopbackProxy: the captured logins share its lock",
    # The smtplib facade: SMTP's helpers stay private so they never look like smtplib methods.
    ("smtplearn.compat.auth", "_attach"): "SMTP's transcript step",
    ("smtplearn.compat.auth", "_send"): "SMTP's raw line",
    ("smtplearn.compat.auth", "_auth_challenge_count"): "smtplib's own counter, mirrored",
    ("smtplearn.compat.outcomes", "_attach"): "SMTP's transcript step",
    ("smtplearn.compat.outcomes", "_show_replies"): "SMTP's debug output",
    ("smtplearn.compat.outcomes", "_print_debug"): "SMTP's debug output",
    ("smtplearn.compat.transaction", "_attach"): "SMTP's transcript step",
    # smtplib's own private names, so the facade behaves exactly as smtplib does.
    ("smtplearn.compat.transaction", "_fix_eols"): "smtplib's line-ending rule for sendmail",
    ("smtplearn.smtplib_reading", "_MAXLINE"): "smtplib's reply line limit",
    # Style strings shared between two widgets (each widget module has its own copies today).
}


def test_no_module_reaches_into_private_names_except_the_known_ones() -> None:
    found: dict[tuple[str, str], str] = {}
    for name, path in _modules():
        for line, private in private_reaches(path.read_text(encoding="utf-8")):
            found.setdefault((name, private), f"{path.relative_to(ROOT)}:{line} uses {private}")
    assert sorted(where for key, where in found.items() if key not in KNOWN_PRIVATE_REACHES) == []
    # A fixed reach leaves the list too, so it cannot come back unnoticed.
    assert set(KNOWN_PRIVATE_REACHES) - set(found) == set()


def test_no_world_module_reaches_into_private_names() -> None:
    reaches = [
        f"{path.relative_to(ROOT)}:{line} uses {private}"
        for name, path in _modules()
        if name.startswith("smtplearn.world")
        for line, private in private_reaches(path.read_text(encoding="utf-8"))
    ]
    assert reaches == []


def test_the_private_reach_check_sees_a_reach() -> None:
    # The check itself must be able to fail: each line below is a reach, or fine.
    assert private_reaches("self.world._hop('dns')") == [(1, "_hop")]
    assert private_reaches("from smtplearn.widgets.faultlab import _CELL, send_once") == [(1, "_CELL")]
    assert private_reaches("import smtplib\nsmtplib._fix_eols(b'')") == [(2, "_fix_eols")]
    assert private_reaches("def f(smtp):\n    smtp._count = 1") == [(2, "_count")]
    owned = "class A:\n    def __init__(self):\n        self._v = {}\n\ndef f(a: A):\n    a._v[1] = 2"
    assert private_reaches(owned) == []
    assert private_reaches("self._lock\nsuper()._relay()\nstep._repr_html_()\nx.__class__") == []
