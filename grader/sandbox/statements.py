"""What a top-level notebook statement binds: shared by the child (statement-level execution) and the grader."""

from __future__ import annotations

import ast

__all__ = ["bound_names"]


def bound_names(statement: ast.stmt) -> list[str]:
    """Names a top-level statement binds in the notebook's namespace (not those local to its functions/classes)."""
    names: list[str] = []
    pending: list[ast.AST] = [statement]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            pending.extend(node.decorator_list)
            continue  # the names of its body are its own
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.append(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.append(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.append(node.name)
        pending.extend(ast.iter_child_nodes(node))
    return list(dict.fromkeys(names))
