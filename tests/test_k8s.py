"""The shipped Kubernetes recipe: valid against the API's schema, and its command lines, run here with the
environment its pods would have (``JOB_COMPLETION_INDEX`` per index, the manifest's variables, the volume mounted),
give one machine's grades."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from course_batch import input_of, write_course

from grader.batch import grade_batch

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "deploy" / "k8s" / "regrade.yaml"
IMAGE_ROOT = "/opt/opsgrade"  # where deploy/k8s/Dockerfile puts the repository's deploy/ folder
NAMES = ("drift_detective", "platform_roi")  # one export zip, one folder: enough here; test_slurm covers all six


def _documents() -> dict[str, dict]:
    return {f"{doc['kind']}/{doc['metadata']['name']}": doc for doc in yaml.safe_load_all(MANIFEST.read_text())}


@pytest.mark.parametrize("version", ["1.27.0", kubernetes_validate.latest_version()])
def test_manifest_is_valid_against_the_kubernetes_schema(version):
    documents = _documents()
    assert set(documents) == {"PersistentVolumeClaim/opsgrade-data", "Job/opsgrade-grade", "Job/opsgrade-merge"}
    for doc in documents.values():
        kubernetes_validate.validate(doc, version, strict=True)  # raises on an unknown or mistyped field


def _container(job: dict) -> dict:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def test_manifest_parts_agree():
    """The shard count the pods are told is the Job's; every pod mounts the claim and asks for resources."""
    documents = _documents()
    grade = documents["Job/opsgrade-grade"]
    assert grade["spec"]["completionMode"] == "Indexed"
    env = {e["name"]: e["value"] for e in _container(grade)["env"]}
    assert int(env["OPSGRADE_SHARDS"]) == grade["spec"]["completions"]
    for job in (grade, documents["Job/opsgrade-merge"]):
        spec = job["spec"]["template"]["spec"]
        assert spec["volumes"][0]["persistentVolumeClaim"]["claimName"] == "opsgrade-data"
        assert {"cpu", "memory"} <= set(_container(job)["resources"]["requests"])
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"


def _pod(container: dict, data: Path, index: int | None = None) -> tuple[list[str], dict[str, str]]:
    """The container's command line and environment, with the image's paths and the volume mapped onto this
    machine (the image's PATH holds opsgrade: here, this interpreter's)."""
    mount = container["volumeMounts"][0]["mountPath"]
    command = [arg.replace(IMAGE_ROOT, str(REPO)).replace(mount, str(data)) for arg in container["command"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION_INDEX"))}
    env.update({e["name"]: e["value"] for e in container.get("env", [])})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)  # what the Job controller sets in an Indexed Job's pods
    return command, env


def test_pods_command_lines_give_one_machines_grades(built, tmp_path, monkeypatch):
    documents = _documents()
    grade, merge = documents["Job/opsgrade-grade"], documents["Job/opsgrade-merge"]
    data = tmp_path / "data"
    course = write_course(built, data / "submissions", NAMES, exported=NAMES[0])
    # the merge pod starts beside the shards and waits for them, as in the namespace
    specs = [_pod(_container(merge), data)]
    specs += [_pod(_container(grade), data, index) for index in range(grade["spec"]["completions"])]
    logs = [tmp_path / f"pod-{k}.log" for k in range(len(specs))]
    pods = []
    for (command, env), log in zip(specs, logs, strict=True):
        with log.open("w") as sink:
            pods.append(subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT))
    try:
        for pod in pods[1:] + pods[:1]:  # the shards first: a failed one must not leave the merge waiting for hours
            pod.wait(timeout=1200)
            if pod.returncode:
                break
    finally:
        for pod in pods:
            pod.kill()
            pod.wait()
    assert [pod.returncode for pod in pods] == [0] * len(pods), [log.read_text()[-2000:] for log in logs]
    for env in _container(grade)["env"]:  # the single machine grades with the pods' settings
        if env["name"].startswith("OPSGRADE_") and env["name"] not in ("OPSGRADE_SHARDS", "OPSGRADE_WORKERS"):
            monkeypatch.setenv(env["name"], env["value"])
    for name in NAMES:
        single = grade_batch(name, [input_of(course, name)], tmp_path / "single" / name, workers=2)
        assert (data / "out" / name / "grades.csv").read_bytes() == single.read_bytes(), name
        assert (data / "out" / name / "report.html").stat().st_size > 0

