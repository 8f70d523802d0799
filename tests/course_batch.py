"""A small course for the cluster tests: per assignment the solution, the blank notebook and wrong variants."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from grader.examples import load_variants, make_variant


def write_course(built, root: Path, names: tuple[str, ...], exported: str, variants: int = 1) -> Path:
    """``root/<name>/`` (notebooks) per assignment of ``names``, ``root/<exported>.zip`` (a Gradescope export with
    names and SIDs, one more wrong variant) for ``exported``: the layout `deploy/each-assignment.sh` reads."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        solution = json.loads((built.solutions / f"{name}.ipynb").read_text())
        notebooks = {"solution": solution,
                     "blank": json.loads((built.dist / name / "student" / f"{name}.ipynb").read_text())}
        wrong = list(load_variants(name).items())[:variants + (name == exported)]
        notebooks.update({variant: make_variant(solution, spec) for variant, spec in wrong})
        if name == exported:
            with zipfile.ZipFile(root / f"{name}.zip", "w") as zf:
                meta = "".join(f"submission_{k}:\n  :submitters:\n  - :name: Student {k}\n    :email: s{k}@uni.edu\n"
                               f"    :sid: '{k}'\n" for k in range(len(notebooks)))
                zf.writestr("export/submission_metadata.yml", meta)
                for k, nb in enumerate(notebooks.values()):
                    zf.writestr(f"export/submission_{k}/{name}.ipynb", json.dumps(nb))
        else:
            (root / name).mkdir()
            for variant, nb in notebooks.items():
                (root / name / f"{variant}.ipynb").write_text(json.dumps(nb))
    return root


def input_of(course: Path, name: str) -> Path:
    """What `opsgrade grade` is given for ``name``: its export zip, else its folder."""
    return course / f"{name}.zip" if (course / f"{name}.zip").exists() else course / name
