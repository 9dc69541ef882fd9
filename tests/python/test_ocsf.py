"""plaudit's OCSF export, checked by an independent OCSF implementation: py-ocsf-models (PyPI).

Every event of every file named in PLAUDIT_OCSF_FILES (os.pathsep-separated; tests/tests/exports.rs
renders the bundled examples and runs this module) must
- parse as py-ocsf-models' ComplianceFinding (pydantic: required fields, types, enum values),
- use no attribute the model does not define, at any depth (pydantic ignores unknown keys, so this
  is checked here; the one addition is the cloud profile's `cloud` object, checked against the
  model's Cloud), and
- keep the class arithmetic: class_uid 2003, category_uid 2, type_uid = class_uid * 100 +
  activity_id, metadata.version the OCSF version py-ocsf-models implements.
Without PLAUDIT_OCSF_FILES (as under `unittest discover` in scripts/test.sh) the test is skipped.
"""

import json
import os
import sys
import typing
import unittest

from pydantic import BaseModel

from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.cloud import Cloud

# Attributes of OCSF profiles that ComplianceFinding's model leaves out, with their models.
PROFILE_ATTRIBUTES = {"cloud": Cloud}


def _models(annotation):
    """The pydantic models an annotation can hold (through Optional, list, dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found.extend(_models(arg))
    return found


def unknown_keys(value, model, path):
    """The paths of keys in `value` that `model` (and its nested models) does not define."""
    bad = []
    if not isinstance(value, dict):
        return bad
    fields = model.model_fields
    for key, item in value.items():
        if key not in fields:
            bad.append(f"{path}.{key}")
            continue
        annotation = fields[key].annotation
        models = _models(annotation)
        if not models:
            continue
        items = item if isinstance(item, list) else [item]
        for i, element in enumerate(items):
            where = f"{path}.{key}[{i}]" if isinstance(item, list) else f"{path}.{key}"
            # A free-form dict (resource `data`, `unmapped`) has no model to check against.
            bad.extend(unknown_keys(element, models[0], where))
    return bad


def check_event(event, where):
    """Problems with one event, as sentences (empty when valid)."""
    problems = []
    core = {k: v for k, v in event.items() if k not in PROFILE_ATTRIBUTES}
    try:
        ComplianceFinding.model_validate(core)
    except Exception as e:  # pydantic.ValidationError; anything else is a problem too
        problems.append(f"{where}: not a ComplianceFinding: {e}")
    for key, model in PROFILE_ATTRIBUTES.items():
        if key in event:
            try:
                model.model_validate(event[key])
            except Exception as e:
                problems.append(f"{where}.{key}: {e}")
            problems.extend(f"unknown attribute {p}" for p in unknown_keys(event[key], model, f"{where}.{key}"))
    problems.extend(f"unknown attribute {p}" for p in unknown_keys(core, ComplianceFinding, where))
    if event.get("class_uid") != 2003 or event.get("category_uid") != 2:
        problems.append(f"{where}: class_uid/category_uid are not 2003/2")
    if event.get("type_uid") != event.get("class_uid", 0) * 100 + event.get("activity_id", -1):
        problems.append(f"{where}: type_uid is not class_uid * 100 + activity_id")
    if event.get("metadata", {}).get("version") != OCSF_VERSION:
        problems.append(f"{where}: metadata.version is not {OCSF_VERSION}")
    return problems


def check_file(path):
    """Problems with one exported file, and its number of events."""
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    if not isinstance(events, list):
        return [f"{path}: not a JSON array"], 0
    problems = []
    for i, event in enumerate(events):
        problems.extend(check_event(event, f"{path}[{i}]"))
    return problems, len(events)


class OcsfExportTest(unittest.TestCase):
    def test_every_event_is_a_valid_compliance_finding(self):
        files = [p for p in os.environ.get("PLAUDIT_OCSF_FILES", "").split(os.pathsep) if p]
        if not files:
            self.skipTest("PLAUDIT_OCSF_FILES is not set: tests/tests/exports.rs runs this check")
        for path in files:
            problems, count = check_file(path)
            self.assertGreater(count, 0, f"{path} holds no event")
            self.assertEqual(problems, [], "\n".join(problems[:20]))
            print(f"{path}: {count} events valid against py-ocsf-models (OCSF {OCSF_VERSION})", file=sys.stderr)

    def test_the_checker_catches_what_the_model_forbids(self):
        event = {
            "activity_id": 1, "category_uid": 2, "class_uid": 2003, "type_uid": 200301,
            "time": 0, "severity_id": 4,
            "metadata": {"version": OCSF_VERSION, "product": {"name": "x", "vendor_name": "x"}},
            "finding_info": {"uid": "1", "title": "t"},
            "compliance": {"status_id": 3},
        }
        self.assertEqual(check_event(event, "e"), [])
        self.assertTrue(check_event({**event, "severity_id": 7}, "e"))
        self.assertTrue(check_event({**event, "type_uid": 200302}, "e"))
        self.assertTrue(check_event({**event, "finding_info": {"uid": "1", "title": "t", "titel": "x"}}, "e"))
        self.assertTrue(check_event({**event, "cloud": {"region": "us-east-1"}}, "e"))
        self.assertTrue(check_event({k: v for k, v in event.items() if k != "finding_info"}, "e"))


if __name__ == "__main__":
    unittest.main()
