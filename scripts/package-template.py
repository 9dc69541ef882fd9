#!/usr/bin/env python3
"""Turn the SAM template into one that deploys the release build's zips (scripts/release.sh).

Every `AWS::Serverless::Function` whose `Metadata.BuildMethod` is `rust-cargolambda` gets
`CodeUri: <zip-dir>/<binary>.zip` and loses that build Metadata, so `sam deploy --template-file`
(or `aws cloudformation package`) uploads the prebuilt zip instead of building Rust. The binary is
`Metadata.BuildProperties.Binary`, else the package name in `<CodeUri>/Cargo.toml`. Everything
else is kept as it is, CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...) included; the
output has no comments. With `--sar-version`, Serverless Application Repository metadata
(`AWS::ServerlessRepo::Application`) is added to the output's top-level Metadata.

    package-template.py --list-binaries [--template template.yaml]
    package-template.py --output dist/template.yaml [--zip-dir functions] [--sar-version 0.1.0]

Needs PyYAML. Reads template.yaml only; never writes it.
"""

import argparse
import os
import sys
import tomllib

import yaml

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
CARGO_LAMBDA = "rust-cargolambda"


class Tagged:
    """A node with a CloudFormation short-form tag (`!Ref X`, `!If [...]`), kept as it was."""

    def __init__(self, tag, value, style=None):
        self.tag = tag
        self.value = value
        self.style = style

    def __eq__(self, other):
        return isinstance(other, Tagged) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self):
        return f"Tagged({self.tag!r}, {self.value!r})"


class TagKeepingLoader(yaml.SafeLoader):
    """SafeLoader that turns every unknown `!Tag` into a `Tagged` instead of failing."""


def _construct_tagged(loader, tag_suffix, node):
    tag = "!" + tag_suffix
    if isinstance(node, yaml.ScalarNode):
        return Tagged(tag, loader.construct_scalar(node), node.style)
    if isinstance(node, yaml.SequenceNode):
        return Tagged(tag, loader.construct_sequence(node, deep=True))
    return Tagged(tag, loader.construct_mapping(node, deep=True))


TagKeepingLoader.add_multi_constructor("!", _construct_tagged)


class TagKeepingDumper(yaml.SafeDumper):
    """SafeDumper that writes `Tagged` back in short form, block style, keys in their order."""

    def ignore_aliases(self, data):
        return True


def _represent_tagged(dumper, data):
    if isinstance(data.value, list):
        # `!Equals [a, b]` on one line while the items are scalars; block style otherwise.
        flat = all(
            not isinstance(v, (list, dict)) and not (isinstance(v, Tagged) and isinstance(v.value, (list, dict)))
            for v in data.value
        )
        return dumper.represent_sequence(data.tag, data.value, flow_style=flat)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    style = data.style if data.style in ('"', "'") else None
    return dumper.represent_scalar(data.tag, str(data.value), style=style)


TagKeepingDumper.add_representer(Tagged, _represent_tagged)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=TagKeepingLoader)  # noqa: S506 - SafeLoader subclass


def dump(document):
    return yaml.dump(
        document,
        Dumper=TagKeepingDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )


class TemplateError(Exception):
    pass


def cargo_lambda_functions(template, template_dir):
    """(logical id, binary name) of each function that SAM builds with cargo-lambda, in order."""
    found = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        metadata = resource.get("Metadata") or {}
        if metadata.get("BuildMethod") != CARGO_LAMBDA:
            continue
        binary = (metadata.get("BuildProperties") or {}).get("Binary")
        if not binary:
            code_uri = (resource.get("Properties") or {}).get("CodeUri", ".")
            if not isinstance(code_uri, str):
                raise TemplateError(f"{logical_id}: CodeUri is not a path and no BuildProperties.Binary")
            manifest = os.path.join(template_dir, code_uri, "Cargo.toml")
            try:
                with open(manifest, "rb") as f:
                    binary = tomllib.load(f)["package"]["name"]
            except (OSError, KeyError) as e:
                raise TemplateError(
                    f"{logical_id}: no BuildProperties.Binary and no package in {manifest} ({e})"
                ) from e
        found.append((logical_id, binary))
    if not found:
        raise TemplateError(f"no {SERVERLESS_FUNCTION} with Metadata.BuildMethod {CARGO_LAMBDA}")
    return found


def sar_metadata(version, env):
    """AWS::ServerlessRepo::Application for `sam publish`; overridable through PLAUDIT_SAR_* env."""
    app = {
        "Name": env.get("PLAUDIT_SAR_NAME", "plaudit"),
        "Description": env.get(
            "PLAUDIT_SAR_DESCRIPTION",
            "Continuous Databricks PrivateLink network compliance: a scheduled audit and AWS Config "
            "custom rules for VPC endpoints, security groups, routes and DNS, with drift alerts on SNS.",
        ),
        "Author": env.get("PLAUDIT_SAR_AUTHOR", "plaudit contributors"),
        "SpdxLicenseId": "Apache-2.0",
        "ReadmeUrl": env.get("PLAUDIT_SAR_README", "README.md"),
        "Labels": ["databricks", "privatelink", "compliance", "aws-config", "vpc-endpoint"],
        "SemanticVersion": version,
    }
    # Optional fields: a local path (uploaded by `sam package`) or a URL, only when given.
    for field, variable in [
        ("LicenseUrl", "PLAUDIT_SAR_LICENSE"),
        ("HomePageUrl", "PLAUDIT_SAR_HOMEPAGE"),
        ("SourceCodeUrl", "PLAUDIT_SAR_SOURCE"),
    ]:
        if env.get(variable):
            app[field] = env[variable]
    return app


def package(template, functions, zip_dir, sar_version=None, env=None):
    """The packaged template (a new object; `template` is left untouched)."""
    import copy

    out = copy.deepcopy(template)
    for logical_id, binary in functions:
        resource = out["Resources"][logical_id]
        properties = resource.setdefault("Properties", {})
        properties["CodeUri"] = f"{zip_dir}/{binary}.zip"
        metadata = resource.get("Metadata") or {}
        for key in ("BuildMethod", "BuildProperties"):
            metadata.pop(key, None)
        if metadata:
            resource["Metadata"] = metadata
        else:
            resource.pop("Metadata", None)
    if sar_version is not None:
        top = out.get("Metadata")
        if not isinstance(top, dict):
            top = {}
        top["AWS::ServerlessRepo::Application"] = sar_metadata(sar_version, env or {})
        if "Metadata" in out:
            out["Metadata"] = top
        else:
            # Keep the usual order: Metadata right after Description.
            ordered = {}
            for key, value in out.items():
                ordered[key] = value
                if key == "Description":
                    ordered["Metadata"] = top
            ordered.setdefault("Metadata", top)
            out = ordered
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--list-binaries", action="store_true", help="print the binaries to build, one a line")
    parser.add_argument("--output", help="where to write the packaged template")
    parser.add_argument("--zip-dir", default="functions", help="zip folder, relative to --output")
    parser.add_argument("--sar-version", help="add Serverless Application Repository metadata")
    args = parser.parse_args(argv)

    try:
        template = load(args.template)
        functions = cargo_lambda_functions(template, os.path.dirname(os.path.abspath(args.template)))
    except (OSError, yaml.YAMLError, TemplateError) as e:
        print(f"package-template: {args.template}: {e}", file=sys.stderr)
        return 1
    if args.list_binaries:
        for _, binary in functions:
            print(binary)
        return 0
    if not args.output:
        parser.error("--output or --list-binaries is required")
    packaged = package(template, functions, args.zip_dir.rstrip("/"), args.sar_version, os.environ)
    text = (
        "# Generated by scripts/package-template.py from template.yaml: deploys the prebuilt zips.\n"
        "# Do not edit; edit template.yaml and run scripts/release.sh.\n" + dump(packaged)
    )
    # Round trip: what we wrote must load back to what we meant (tags included).
    if yaml.load(text, Loader=TagKeepingLoader) != packaged:  # noqa: S506
        print("package-template: the packaged template does not load back as written", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    for logical_id, binary in functions:
        print(f"{logical_id}: CodeUri {args.zip_dir}/{binary}.zip")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
