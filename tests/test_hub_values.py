"""The Kubernetes configuration for a large class (hub/k8s/values.yaml, Zero to JupyterHub).

No network and no cluster: these tests read the file and check what a class depends on. Each
student server gets a memory guarantee and limit that fit what a student server was measured
to use, the image is pinned, students land in JupyterLab, and idle servers are stopped.
The file's keys were checked against the chart's schema when it was written; that schema is
not part of this repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VALUES = ROOT / "hub" / "k8s" / "values.yaml"
MEASUREMENTS = ROOT / "hub" / "measurements.json"

# Sizes in MB of 10**6 bytes, the unit of peak_rss_mb. KubeSpawner reads M and G as powers of
# 1024, so reading them as powers of 1000 here errs on the strict side.
_UNITS_MB = {"K": 1e-3, "M": 1.0, "G": 1e3, "T": 1e6}


def _mb(size) -> float:
    text = str(size).strip()
    if text[-1:].upper() in _UNITS_MB:
        return float(text[:-1]) * _UNITS_MB[text[-1].upper()]
    return float(text) / 1e6  # a plain number is bytes


def _peaks(data) -> list[float]:
    """Every peak_rss_mb in the measurements file, wherever it is nested (one server or one
    entry per student)."""
    if isinstance(data, dict):
        found = [float(v) for k, v in data.items() if k == "peak_rss_mb"]
        return found + [p for k, v in data.items() if k != "peak_rss_mb" for p in _peaks(v)]
    if isinstance(data, list):
        return [p for v in data for p in _peaks(v)]
    return []


def measured_peak_mb() -> tuple[float, str]:
    assert MEASUREMENTS.is_file(), "hub/measurements.json (tests/test_hub.py's figures) is missing"
    peaks = _peaks(json.loads(MEASUREMENTS.read_text(encoding="utf-8")))
    assert peaks, "hub/measurements.json has no peak_rss_mb"
    return max(peaks), "hub/measurements.json"


@pytest.fixture(scope="module")
def values() -> dict:
    data = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "hub/k8s/values.yaml is not a YAML mapping"
    return data


@pytest.fixture(scope="module")
def singleuser(values) -> dict:
    return values["singleuser"]


def test_values_parse_into_the_chart_sections(values):
    assert {"singleuser", "hub", "proxy", "cull", "scheduling", "prePuller"} <= set(values)


def test_memory_guarantee_is_at_most_the_limit(singleuser):
    memory = singleuser["memory"]
    assert 0 < _mb(memory["guarantee"]) <= _mb(memory["limit"]), memory


def test_cpu_guarantee_is_at_most_the_limit(singleuser):
    cpu = singleuser["cpu"]
    for key in ("guarantee", "limit"):
        assert isinstance(cpu[key], (int, float)), f"cpu.{key} must be a number: {cpu[key]!r}"
    assert 0 < cpu["guarantee"] <= cpu["limit"], cpu


def test_memory_fits_the_measured_student_server(singleuser):
    """A student's server must fit in its guarantee, and the limit leaves at least as much
    again for a heavier cell, so the kernel is not restarted in the middle of an exercise."""
    peak, source = measured_peak_mb()
    guarantee, limit = _mb(singleuser["memory"]["guarantee"]), _mb(singleuser["memory"]["limit"])
    assert guarantee >= peak, f"guarantee {guarantee} MB < measured peak {peak} MB ({source})"
    assert limit >= 2 * peak, f"limit {limit} MB < 2 x measured peak {peak} MB ({source})"


def test_the_student_image_is_pinned(singleuser):
    image = singleuser["image"]
    assert image["name"] and ":" not in image["name"].rsplit("/", 1)[-1], image
    tag = str(image.get("tag") or "")
    assert tag and tag.lower() != "latest", f"pin the student image to a build tag, not {tag!r}"


def test_students_land_in_jupyterlab(singleuser):
    assert singleuser["defaultUrl"] == "/lab"


def test_idle_servers_are_culled(values):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert 0 < cull["every"] <= cull["timeout"], cull
