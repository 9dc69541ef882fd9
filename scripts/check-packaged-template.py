#!/usr/bin/env python3
"""Check a packaged template (scripts/package-template.py) against the template.yaml it came from.

Fails (exit 1, one line per problem) unless:
- each function SAM built with cargo-lambda has `CodeUri: <dir>/<binary>.zip` and no BuildMethod /
  BuildProperties left, and no resource anywhere still has a BuildMethod;
- everything else is unchanged, CloudFormation short-form tags included (compared node by node,
  after loading both with a loader that keeps the tags: a `!Ref` that became `Ref:`, or a lost
  `!Sub`, is a difference);
- with --sar-version: the AWS::ServerlessRepo::Application metadata has the fields `sam publish`
  needs and that version;
- with --require-zips: each zip exists next to the packaged template and holds one file, `bootstrap`,
  executable.

    check-packaged-template.py --template template.yaml --packaged dist/template.yaml \
        [--sar-version 0.1.0] [--require-zips]
"""

import argparse
import copy
import importlib.util
import os
import sys
import zipfile

_spec = importlib.util.spec_from_file_location(
    "package_template", os.path.join(os.path.dirname(os.path.abspath(__file__)), "package-template.py")
)
pt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pt)

SAR = "AWS::ServerlessRepo::Application"
SAR_REQUIRED = ["Name", "Description", "Author", "SpdxLicenseId", "ReadmeUrl", "SemanticVersion", "Labels"]


def count_tags(node):
    if isinstance(node, pt.Tagged):
        return 1 + count_tags(node.value)
    if isinstance(node, dict):
        return sum(count_tags(v) for v in node.values())
    if isinstance(node, list):
        return sum(count_tags(v) for v in node)
    return 0


def first_difference(a, b, path="$"):
    """Where two loaded documents first differ (None when equal)."""
    if isinstance(a, pt.Tagged) or isinstance(b, pt.Tagged):
        if not (isinstance(a, pt.Tagged) and isinstance(b, pt.Tagged)) or a.tag != b.tag:
            return f"{path}: {a!r} != {b!r}"
        return first_difference(a.value, b.value, f"{path}<{a.tag}>")
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if (type(a), a) == (type(b), b) else f"{path}: {a!r} != {b!r}"


def strip_build(document, functions):
    """A copy without what packaging may change: the functions' CodeUri and build Metadata."""
    out = copy.deepcopy(document)
    for logical_id, _ in functions:
        resource = out.get("Resources", {}).get(logical_id)
        if not isinstance(resource, dict):
            continue
        (resource.get("Properties") or {}).pop("CodeUri", None)
        metadata = resource.get("Metadata") or {}
        metadata.pop("BuildMethod", None)
        metadata.pop("BuildProperties", None)
        if not metadata:
            resource.pop("Metadata", None)
    return out


def check(template_path, packaged_path, sar_version, require_zips):
    problems = []
    template = pt.load(template_path)
    packaged = pt.load(packaged_path)
    functions = pt.cargo_lambda_functions(template, os.path.dirname(os.path.abspath(template_path)))
    resources = packaged.get("Resources") or {}
    zip_dir = os.path.dirname(os.path.abspath(packaged_path))

    for logical_id, binary in functions:
        resource = resources.get(logical_id)
        if not isinstance(resource, dict):
            problems.append(f"{logical_id}: missing from the packaged template")
            continue
        code_uri = (resource.get("Properties") or {}).get("CodeUri")
        if not isinstance(code_uri, str) or not code_uri.endswith(f"/{binary}.zip"):
            problems.append(f"{logical_id}: CodeUri {code_uri!r} is not a path to {binary}.zip")
        elif require_zips:
            problems += check_zip(logical_id, os.path.join(zip_dir, code_uri))
        metadata = resource.get("Metadata") or {}
        for key in ("BuildMethod", "BuildProperties"):
            if key in metadata:
                problems.append(f"{logical_id}: Metadata.{key} is still there")
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and "BuildMethod" in (resource.get("Metadata") or {}):
            problems.append(f"{logical_id}: a BuildMethod is left (SAM would try to build it)")

    sar = (packaged.get("Metadata") or {}).get(SAR)
    if sar_version is not None:
        if not isinstance(sar, dict):
            problems.append(f"Metadata.{SAR} is missing")
        else:
            problems += [f"Metadata.{SAR}.{f} is missing or empty" for f in SAR_REQUIRED if not sar.get(f)]
            if sar.get("SemanticVersion") != sar_version:
                problems.append(f"{SAR}.SemanticVersion is {sar.get('SemanticVersion')!r}, not {sar_version!r}")
            if sar.get("SpdxLicenseId") != "Apache-2.0":
                problems.append(f"{SAR}.SpdxLicenseId is {sar.get('SpdxLicenseId')!r}")
        packaged = copy.deepcopy(packaged)
        packaged["Metadata"].pop(SAR, None)
        if not packaged["Metadata"] and "Metadata" not in template:
            packaged.pop("Metadata")

    before, after = strip_build(template, functions), strip_build(packaged, functions)
    if count_tags(before) == 0:
        problems.append(f"{template_path}: no short-form tags at all (is this the SAM template?)")
    if count_tags(before) != count_tags(after):
        problems.append(f"short-form tags: {count_tags(before)} in the template, {count_tags(after)} packaged")
    difference = first_difference(before, after)
    if difference:
        problems.append(f"changed beyond the functions' code: {difference}")
    return problems, functions


def check_zip(logical_id, path):
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (OSError, zipfile.BadZipFile) as e:
        return [f"{logical_id}: {path}: {e}"]
    names = [i.filename for i in infos]
    if names != ["bootstrap"]:
        return [f"{logical_id}: {path} holds {names}, not one `bootstrap`"]
    mode = infos[0].external_attr >> 16
    if mode and not mode & 0o111:
        return [f"{logical_id}: {path}: bootstrap is not executable (mode {oct(mode)})"]
    return []


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--packaged", required=True)
    parser.add_argument("--sar-version")
    parser.add_argument("--require-zips", action="store_true")
    args = parser.parse_args(argv)
    try:
        problems, functions = check(args.template, args.packaged, args.sar_version, args.require_zips)
    except (OSError, pt.yaml.YAMLError, pt.TemplateError) as e:
        print(f"check-packaged-template: {e}", file=sys.stderr)
        return 1
    for p in problems:
        print(f"check-packaged-template: {args.packaged}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"   {args.packaged}: {len(functions)} functions point at their zips, nothing else changed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
